//! The CBF reader: a keyword dispatch loop that collects the items, then builds the IR.
//!
//! Every continuous construct of CBF versions 1 to 3 is read: the cones `F`, `L+`, `L-`, `L=`, `Q`,
//! `QR`, `EXP`, `EXP*`, `@k:POW`, `@k:POW*` (with the `POWCONES` and `POW*CONES` tables), in `VAR` and
//! in `CON`, and the items `OBJSENSE`, `OBJACOORD`, `OBJBCOORD`, `ACOORD`, `BCOORD`. Integer and
//! semidefinite items and `CHANGE` are refused with [`CbfError::Unsupported`].
//!
//! # Mapping to the IR
//!
//! CBF states `g = A_cbf x + b_cbf ∈ K_cbf` per constraint block (`VAR` blocks state `x[C] ∈ K_cbf`).
//! The IR states `s = b − A x ∈ K`. For each block with a fixed linear map `T` such that
//! `g ∈ K_cbf ⇔ T g ∈ K`, the reader emits the IR rows `A = −T·A_cbf`, `b = T·b_cbf` (for a `VAR` block,
//! `A = −T·E_C` and `b = 0`, where `E_C` picks the block's columns). The maps, with `u` the block's
//! vector:
//!
//! | CBF | `s = T u` | IR cone |
//! |---|---|---|
//! | `L+`, `L=`, `Q` | `s = u` | `Nonneg`, `Zero`, `SecondOrder` |
//! | `L-` | `s = −u` | `Nonneg` |
//! | `QR` | `s₀ = (u₀+u₁)/√2`, `s₁ = (u₀−u₁)/√2`, `sᵢ = uᵢ` | `SecondOrder` |
//! | `EXP` | `s = (u₂, u₁, u₀)` | `Exp` |
//! | `EXP*` | `s = (u₂ − u₁, −u₂, u₀)` | `Exp` |
//! | `@k:POW` with `α = (α₀, α₁)`, dim 3 | `s = u` | `Power(α₀/(α₀+α₁))` |
//! | `@k:POW*` with `α = (α₀, α₁)`, dim 3 | `s = (u₀/β₀, u₁/β₁, u₂)`, `β = α/Σα` | `Power(β₀)` |
//! | `@k:POW`, `@k:POW*` with one exponent | `s = u` | `SecondOrder` |
//!
//! Why each map is exact:
//! - `QR` is `2·u₀·u₁ ≥ ‖u₂..‖²`, `u₀, u₁ ≥ 0`. With `s₀`, `s₁` as above, `s₀² − s₁² = 2·u₀·u₁` and
//!   `s₀ ≥ |s₁| ⇔ u₀, u₁ ≥ 0`, so `s₀ ≥ ‖(s₁, s₂..)‖` is the same set. The map is orthogonal.
//! - `EXP` is `u₀ ≥ u₁·exp(u₂/u₁)`, Clarabel's `(x, y, z)` cone is `z ≥ y·exp(x/y)`: the order reverses.
//! - `EXP*` (the dual cone) is `u₀ ≥ −u₂·e⁻¹·exp(u₁/u₂)` with `u₂ < 0`, plus the closure
//!   `{u₂ = 0, u₀ ≥ 0, u₁ ≥ 0}`. Put `x = u₂ − u₁`, `y = −u₂`, `z = u₀`. For `y > 0`:
//!   `y·exp(x/y) = −u₂·exp((u₂ − u₁)/(−u₂)) = −u₂·exp(−1 + u₁/u₂) = −u₂·e⁻¹·exp(u₁/u₂) ≤ u₀ = z`.
//!   For `y = 0`, Clarabel's closure is `{x ≤ 0, z ≥ 0}`, i.e. `u₁ ≥ 0`, `u₀ ≥ 0`. The map is invertible,
//!   so it takes one cone onto the other.
//! - `POW` with `α` is `u₀^β₀·u₁^β₁ ≥ |u₂|`, the IR's `Power(β₀)` as it is.
//! - `POW*` is `(u₀/β₀)^β₀·(u₁/β₁)^β₁ ≥ |u₂|`, so scaling the first two rows by `1/βᵢ` gives `Power(β₀)`.
//! - A power cone with a single exponent is `u₀ ≥ ‖u₁..‖` (β₀ = 1 in both the primal and the dual).
//!
//! Power cones of other shapes (more than two exponents, or two exponents and dimension above 3) are
//! refused: the IR holds only the 3-dimensional power cone.
//!
//! # Robustness
//!
//! The reader never panics and never allocates from a count it has not checked: counts only bound loops
//! that stop at the end of the file; the number of scalar variables and rows is capped by the size of
//! the file (16 a byte, at least 65,536: a variable or row that no line of the file mentions does
//! nothing), and the bytes the program will take (the reader's arrays, the program, and a backend's
//! copy of it) are held to a memory budget as soon as each size is declared. Every error carries the
//! 1-based line number and, where there is one, the offending text; that includes values that
//! overflow when a cone's map is applied to them (a `QR` row of two `1.7e308`) and numbers that
//! underflow to zero as they are read (`1e-400`).

use cnr_ir::{ConeProgram, IrError, Sense};
use thiserror::Error;

mod build;
mod sections;
mod tokens;

// The item readers in `sections` reach the number parsers through their `use super::*`.
use tokens::{index, int, real, Cursor};

/// Why a CBF text could not be read.
#[derive(Debug, Error, PartialEq)]
pub enum CbfError {
    /// The text is not valid CBF.
    #[error("line {line}: {message}")]
    Malformed {
        /// The 1-based line where the problem was found.
        line: usize,
        /// What is wrong, quoting the offending text.
        message: String,
    },
    /// The text is valid CBF, but uses something cnr cannot represent.
    #[error("line {line}: {what} is not supported: {why}")]
    Unsupported {
        /// The 1-based line of the construct.
        line: usize,
        /// The construct.
        what: String,
        /// Why, and what to do instead.
        why: String,
    },
    /// The program built from the file does not validate (a bug in the reader if it ever happens).
    #[error("the program read from the CBF file is invalid: {0}")]
    Invalid(IrError),
}

impl CbfError {
    /// The 1-based line the error refers to, if any.
    pub fn line(&self) -> Option<usize> {
        match self {
            CbfError::Malformed { line, .. } | CbfError::Unsupported { line, .. } => Some(*line),
            CbfError::Invalid(_) => None,
        }
    }
}

/// Bytes a declared scalar variable, scalar row and non-zero take, counted twice (the reader's
/// arrays and the program, then a backend's copy of the program).
const BYTES_PER_VARIABLE: u128 = 2 * 48;
const BYTES_PER_ROW: u128 = 2 * 64;
const BYTES_PER_NONZERO: u128 = 2 * 80;

/// Reads a CBF text (versions 1 to 3) into a cone program named `name`, within a memory budget of
/// `max_bytes`: a file whose declared sizes need more is refused at the line that declares them,
/// before anything of that size is allocated. (The budget is the caller's; cnr's driver passes
/// the command's.)
///
/// The program has one variable block `x` and one row block per CBF cone block that produces rows, so
/// that errors about a row can name the CBF block it came from. A `MAX` objective is stored negated
/// with [`Sense::Maximize`]; `OBJBCOORD` becomes the objective constant. The result validates.
pub fn read_cbf(text: &str, name: &str, max_bytes: u64) -> Result<ConeProgram, CbfError> {
    let mut reader = Reader::new(text, max_bytes);
    reader.read_items()?;
    let program = reader.build(name)?;
    program.validate().map_err(CbfError::Invalid)?;
    Ok(program)
}

fn malformed(line: usize, message: impl Into<String>) -> CbfError {
    CbfError::Malformed { line, message: message.into() }
}

/// The groups of items, which must come in this order (VER, power tables, structure, data).
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
enum Stage {
    Version,
    PowerTables,
    Structure,
    Data,
}

/// A CBF cone name, resolved.
#[derive(Clone, Copy, Debug, PartialEq)]
enum CbfCone {
    Free,
    Nonneg,
    Nonpos,
    Zero,
    Quad,
    RotatedQuad,
    Exp,
    ExpDual,
    /// A primal power cone with entry `k` of `POWCONES`.
    Pow(usize),
    /// A dual power cone with entry `k` of `POW*CONES`.
    PowDual(usize),
}

/// One block line of `VAR` or `CON`.
#[derive(Clone, Copy, Debug)]
struct ConeBlock {
    cone: CbfCone,
    dim: usize,
    /// The line the block is declared at.
    line: usize,
}

/// One `ACOORD` entry and the line it came from.
#[derive(Clone, Copy, Debug)]
struct Entry {
    row: usize,
    col: usize,
    value: f64,
    line: usize,
}

struct Reader<'a> {
    cur: Cursor<'a>,
    /// The most scalar variables (and CBF rows) accepted, from the size of the file.
    limit: usize,
    /// The memory budget, in bytes.
    budget: u64,
    stage: Stage,
    /// Keywords seen so far, with their lines.
    seen: Vec<(&'static str, usize)>,
    pow: Option<Vec<Vec<f64>>>,
    pow_dual: Option<Vec<Vec<f64>>>,
    sense: Sense,
    n: usize,
    var_blocks: Vec<ConeBlock>,
    m: usize,
    con_blocks: Vec<ConeBlock>,
    obj: Vec<(usize, f64)>,
    obj_const: f64,
    entries: Vec<Entry>,
    /// `BCOORD` entries: row, value, line.
    b: Vec<(usize, f64, usize)>,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str, budget: u64) -> Self {
        Reader {
            cur: Cursor { rest: text, line: 0 },
            limit: (1usize << 16).max(text.len().saturating_mul(16)).min(u32::MAX as usize),
            budget,
            stage: Stage::Version,
            seen: Vec::new(),
            pow: None,
            pow_dual: None,
            sense: Sense::Minimize,
            n: 0,
            var_blocks: Vec::new(),
            m: 0,
            con_blocks: Vec::new(),
            obj: Vec::new(),
            obj_const: 0.0,
            entries: Vec::new(),
            b: Vec::new(),
        }
    }

    /// The keyword dispatch loop.
    fn read_items(&mut self) -> Result<(), CbfError> {
        while let Some((line, text)) = self.cur.next_line() {
            let keyword = self.keyword(line, text)?;
            self.check_order(line, keyword)?;
            match keyword {
                "VER" => self.read_ver()?,
                "POWCONES" => self.pow = Some(self.read_pow_table(keyword)?),
                "POW*CONES" => self.pow_dual = Some(self.read_pow_table(keyword)?),
                "OBJSENSE" => self.read_objsense()?,
                "VAR" => {
                    let (n, blocks) = self.read_cones("VAR")?;
                    self.n = n;
                    self.var_blocks = blocks;
                }
                "CON" => {
                    let (m, blocks) = self.read_cones("CON")?;
                    self.m = m;
                    self.con_blocks = blocks;
                }
                "OBJACOORD" => self.read_objacoord()?,
                "OBJBCOORD" => self.read_objbcoord()?,
                "ACOORD" => self.read_acoord()?,
                "BCOORD" => self.read_bcoord()?,
                other => return Err(unsupported_keyword(line, other)),
            }
        }
        if self.seen.is_empty() {
            return Err(malformed(self.cur.line.max(1), "the file holds no items; expected VER first"));
        }
        Ok(())
    }

    /// Enforces: VER first, each keyword once, power tables before the structure, structure before data.
    fn check_order(&mut self, line: usize, keyword: &'static str) -> Result<(), CbfError> {
        if self.seen.is_empty() && keyword != "VER" {
            return Err(malformed(line, format!("the file must start with VER, found {keyword}")));
        }
        if let Some(&(_, first)) = self.seen.iter().find(|(k, _)| *k == keyword) {
            return Err(malformed(line, format!("{keyword} appears twice (first at line {first})")));
        }
        let stage = match keyword {
            "VER" => Stage::Version,
            "POWCONES" | "POW*CONES" => Stage::PowerTables,
            "OBJSENSE" | "PSDVAR" | "VAR" | "INT" | "PSDCON" | "CON" => Stage::Structure,
            _ => Stage::Data,
        };
        if stage < self.stage {
            // The keyword that moved the file into the later group (always present, as only VER and
            // the power tables lead into the first two groups).
            let (later, later_line) = self
                .seen
                .iter()
                .rev()
                .find(|(k, _)| !matches!(*k, "VER" | "POWCONES" | "POW*CONES"))
                .copied()
                .unwrap_or(("an earlier item", 0));
            let what = match stage {
                Stage::PowerTables => "POWCONES and POW*CONES must come right after VER",
                _ => "the structure items (OBJSENSE, VAR, INT, CON, …) must come before the data items",
            };
            return Err(malformed(
                line,
                format!("{keyword} is out of order: {what}, but {later} came first (line {later_line})"),
            ));
        }
        if keyword == "VAR" {
            if let Some(&(_, con)) = self.seen.iter().find(|(k, _)| *k == "CON") {
                return Err(malformed(line, format!("VAR must come before CON (line {con})")));
            }
        }
        self.stage = stage;
        self.seen.push((keyword, line));
        Ok(())
    }
}

fn unsupported_keyword(line: usize, keyword: &str) -> CbfError {
    let (what, why) = match keyword {
        "INT" => (
            "INT (integer variables)",
            "cnr's solvers are continuous; drop the INT item to solve the relaxation",
        ),
        "PSDVAR" => ("PSDVAR (semidefinite matrix variables)", "the IR has no semidefinite cone"),
        "PSDCON" => ("PSDCON (semidefinite constraints)", "the IR has no semidefinite cone"),
        "OBJFCOORD" | "FCOORD" | "HCOORD" | "DCOORD" => {
            (keyword, "it holds semidefinite data, and the IR has no semidefinite cone")
        }
        "CHANGE" => ("CHANGE (a sequence of instances)", "put each instance in a file of its own"),
        _ => (keyword, "this reader does not know it"),
    };
    CbfError::Unsupported { line, what: what.into(), why: why.into() }
}

#[cfg(test)]
mod tests {
    use std::f64::consts::FRAC_1_SQRT_2;

    /// A tiny deterministic generator (64-bit LCG, top bits) for sampling points.
    struct Lcg(u64);

    impl Lcg {
        fn unit(&mut self) -> f64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }

        fn range(&mut self, lo: f64, hi: f64) -> f64 {
            lo + (hi - lo) * self.unit()
        }
    }

    /// Clarabel's exponential cone in (x, y, z) order: `y·exp(x/y) ≤ z`, `y > 0`, with its closure.
    /// Returns the signed margin (positive inside, negative outside) for a clear decision.
    fn exp_margin(x: f64, y: f64, z: f64) -> f64 {
        if y > 0.0 {
            z - y * (x / y).exp()
        } else if y == 0.0 {
            (-x).min(z)
        } else {
            y
        }
    }

    /// CBF's dual exponential cone: `u₀ ≥ −u₂·e⁻¹·exp(u₁/u₂)`, `u₂ < 0`, with its closure.
    fn exp_dual_margin(u: [f64; 3]) -> f64 {
        if u[2] < 0.0 {
            u[0] + u[2] * (-1.0f64).exp() * (u[1] / u[2]).exp()
        } else if u[2] == 0.0 {
            u[0].min(u[1])
        } else {
            -u[2]
        }
    }

    fn apply_exp_dual_map(u: [f64; 3]) -> (f64, f64, f64) {
        (u[2] - u[1], -u[2], u[0])
    }

    #[test]
    fn exp_dual_map_takes_the_dual_cone_onto_the_primal_cone() {
        let mut g = Lcg(7);
        let mut inside = 0;
        for _ in 0..20_000 {
            let u = [g.range(-3.0, 3.0), g.range(-3.0, 3.0), g.range(-3.0, 3.0)];
            let a = exp_dual_margin(u);
            let (x, y, z) = apply_exp_dual_map(u);
            let b = exp_margin(x, y, z);
            // Skip points within rounding of the boundary, where either side may decide.
            if a.abs() > 1e-9 && b.abs() > 1e-9 {
                assert_eq!(a > 0.0, b > 0.0, "u = {u:?}: dual margin {a}, mapped margin {b}");
                inside += usize::from(a > 0.0);
            }
        }
        assert!(inside > 1000, "the sample should hit the cone often, hit it {inside} times");
        // Boundary and closure points.
        for u in [[(-2.0f64).exp(), 1.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 0.0]] {
            let (x, y, z) = apply_exp_dual_map(u);
            assert!(exp_margin(x, y, z) >= -1e-15, "{u:?} maps to ({x}, {y}, {z})");
        }
        // A closure point of the wrong sign stays outside.
        let (x, y, z) = apply_exp_dual_map([1.0, -1.0, 0.0]);
        assert!(exp_margin(x, y, z) < 0.0);
    }

    #[test]
    fn pow_dual_map_takes_the_dual_cone_onto_the_primal_cone() {
        let mut g = Lcg(11);
        for _ in 0..20_000 {
            let (a0, a1) = (g.range(0.1, 4.0), g.range(0.1, 4.0));
            let (b0, b1) = (a0 / (a0 + a1), a1 / (a0 + a1));
            let u = [g.range(0.0, 3.0), g.range(0.0, 3.0), g.range(-3.0, 3.0)];
            let dual = (u[0] / b0).powf(b0) * (u[1] / b1).powf(b1) - u[2].abs();
            let s = [u[0] / b0, u[1] / b1, u[2]];
            let primal = s[0].powf(b0) * s[1].powf(1.0 - b0) - s[2].abs();
            if dual.abs() > 1e-9 {
                assert_eq!(dual > 0.0, primal > 0.0, "u = {u:?}, α = ({a0}, {a1})");
            }
        }
        // The digest's boundary point of POW* with α = (3, 1): (12, 0.25, 8).
        let (b0, b1) = (0.75f64, 0.25f64);
        let value = (12.0 / b0).powf(b0) * (0.25 / b1).powf(b1);
        assert!((value - 8.0).abs() < 1e-12, "{value}");
    }

    #[test]
    fn rotated_map_preserves_the_cone() {
        let mut g = Lcg(3);
        for _ in 0..20_000 {
            let u = [g.range(-1.0, 3.0), g.range(-1.0, 3.0), g.range(-3.0, 3.0), g.range(-3.0, 3.0)];
            let rq =
                if u[0] >= 0.0 && u[1] >= 0.0 { 2.0 * u[0] * u[1] - u[2] * u[2] - u[3] * u[3] } else { -1.0 };
            let s0 = (u[0] + u[1]) * FRAC_1_SQRT_2;
            let s1 = (u[0] - u[1]) * FRAC_1_SQRT_2;
            let soc = s0 - (s1 * s1 + u[2] * u[2] + u[3] * u[3]).sqrt();
            if rq.abs() > 1e-9 && soc.abs() > 1e-9 {
                assert_eq!(rq > 0.0, soc > 0.0, "u = {u:?}");
            }
        }
    }
}
