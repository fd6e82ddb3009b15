use serde::{Deserialize, Serialize};

/// One cone of the product `K`, in Clarabel's conventions. `s` is the slice of slack rows it covers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Cone {
    /// `s = 0` (equality rows), of the given dimension.
    Zero(usize),
    /// `s ≥ 0` componentwise (inequality rows), of the given dimension.
    Nonneg(usize),
    /// The second-order cone `s₀ ≥ ‖s₁..‖₂` of the given dimension (at least 1).
    SecondOrder(usize),
    /// The exponential cone, dimension 3, in Clarabel's order (x, y, z): `y·exp(x/y) ≤ z`, `y > 0`
    /// (and its closure). CBF writes the same cone in the reverse order.
    Exp,
    /// The 3-dimensional power cone with exponent `α ∈ (0, 1)`: `x^α · y^(1−α) ≥ |z|`, `x, y ≥ 0`.
    Power(f64),
}

impl Cone {
    /// How many rows the cone covers.
    pub fn dim(&self) -> usize {
        match *self {
            Cone::Zero(d) | Cone::Nonneg(d) | Cone::SecondOrder(d) => d,
            Cone::Exp | Cone::Power(_) => 3,
        }
    }

    /// A short name for printing: `zero`, `nonneg`, `soc`, `exp`, `pow`.
    pub fn kind(&self) -> &'static str {
        match self {
            Cone::Zero(_) => "zero",
            Cone::Nonneg(_) => "nonneg",
            Cone::SecondOrder(_) => "soc",
            Cone::Exp => "exp",
            Cone::Power(_) => "pow",
        }
    }
}
