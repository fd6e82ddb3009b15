use serde::{Deserialize, Serialize};

/// One cone of the product `K`, in Clarabel's conventions. `s` is the slice of slack rows it covers.
///
/// In JSON a cone is an object tagged by [`Cone::kind`]: `{"kind": "zero", "dim": 4}`,
/// `{"kind": "nonneg", "dim": 4}`, `{"kind": "soc", "dim": 3}`, `{"kind": "exp"}`,
/// `{"kind": "pow", "alpha": 0.5}`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "ConeRepr", from = "ConeRepr")]
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

/// The JSON shape of a [`Cone`]. Serde cannot write the tuple variants of `Cone` under an internal
/// `kind` tag, so they pass through these named-field variants.
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum ConeRepr {
    Zero { dim: usize },
    Nonneg { dim: usize },
    Soc { dim: usize },
    Exp,
    Pow { alpha: f64 },
}

impl From<Cone> for ConeRepr {
    fn from(c: Cone) -> Self {
        match c {
            Cone::Zero(dim) => ConeRepr::Zero { dim },
            Cone::Nonneg(dim) => ConeRepr::Nonneg { dim },
            Cone::SecondOrder(dim) => ConeRepr::Soc { dim },
            Cone::Exp => ConeRepr::Exp,
            Cone::Power(alpha) => ConeRepr::Pow { alpha },
        }
    }
}

impl From<ConeRepr> for Cone {
    fn from(c: ConeRepr) -> Self {
        match c {
            ConeRepr::Zero { dim } => Cone::Zero(dim),
            ConeRepr::Nonneg { dim } => Cone::Nonneg(dim),
            ConeRepr::Soc { dim } => Cone::SecondOrder(dim),
            ConeRepr::Exp => Cone::Exp,
            ConeRepr::Pow { alpha } => Cone::Power(alpha),
        }
    }
}
