//! Building the IR from the items read: each CBF block through its map `T` (see the module
//! documentation of `read`), with the memory budget and overflow checks.

use super::*;
use cnr_ir::{Block, Cone, CscMatrix, RowBuilder};
use std::f64::consts::FRAC_1_SQRT_2;

impl Reader<'_> {
    /// Builds the IR from the collected items: `VAR` cone rows first, then the `CON` rows, each block
    /// through its map `T` (see the module documentation).
    pub(super) fn build(self, name: &str) -> Result<ConeProgram, CbfError> {
        let n = self.n;
        let mut program = ConeProgram::new(name, n, self.sense);
        // The IR stores a maximisation negated.
        let sign = match self.sense {
            Sense::Minimize => 1.0,
            Sense::Maximize => -1.0,
        };
        for &(j, v) in &self.obj {
            program.q[j] = sign * v;
        }
        program.c = if self.obj_const == 0.0 { 0.0 } else { sign * self.obj_const };
        if n > 0 {
            program.var_blocks.push(Block::vector("x", 0, "variable", n));
        }

        // A_cbf in compressed rows; the entries are already sorted by (row, column).
        let mut rowptr = vec![0usize; self.m + 1];
        for e in &self.entries {
            rowptr[e.row + 1] += 1;
        }
        for i in 0..self.m {
            rowptr[i + 1] += rowptr[i];
        }
        let cols: Vec<usize> = self.entries.iter().map(|e| e.col).collect();
        let vals: Vec<f64> = self.entries.iter().map(|e| e.value).collect();
        let mut b_cbf = vec![0.0; self.m];
        for &(i, v, _) in &self.b {
            b_cbf[i] = v;
        }

        let var_rows: usize = self.var_blocks.iter().filter(|b| b.cone != CbfCone::Free).map(|b| b.dim).sum();
        let mut rows = RowBuilder::with_capacity(var_rows + self.m, var_rows + self.entries.len());
        let mut cones: Vec<Cone> = Vec::new();
        let mut scratch = Vec::new();

        let mut col = 0;
        for (k, block) in self.var_blocks.iter().enumerate() {
            if block.cone != CbfCone::Free {
                // A VAR block says x[C] ∈ K: its input rows are the unit rows of the columns C.
                let ptr: Vec<usize> = (0..=block.dim).collect();
                let unit_cols: Vec<usize> = (col..col + block.dim).collect();
                let ones = vec![1.0; block.dim];
                let zeros = vec![0.0; block.dim];
                let src = Source { ptr: &ptr, cols: &unit_cols, vals: &ones, b: &zeros, start: 0 };
                let start = rows.rows();
                let cone = self
                    .emit(&mut rows, &mut scratch, &src, block)
                    .map_err(|_| self.overflow(block, None))?;
                push_cone(&mut cones, cone);
                let label =
                    format!("VAR block {k}: {} on columns {col}..{}", self.cone_name(block), col + block.dim);
                program.row_blocks.push(Block::vector(label, start, "entry", block.dim));
            }
            col += block.dim;
        }
        let mut row = 0;
        for (k, block) in self.con_blocks.iter().enumerate() {
            if block.cone != CbfCone::Free {
                let src = Source { ptr: &rowptr, cols: &cols, vals: &vals, b: &b_cbf, start: row };
                let start = rows.rows();
                let cone = self
                    .emit(&mut rows, &mut scratch, &src, block)
                    .map_err(|k| self.overflow(block, Some(row + k)))?;
                push_cone(&mut cones, cone);
                let label = format!(
                    "CON block {k}: {} on CBF rows {row}..{}",
                    self.cone_name(block),
                    row + block.dim
                );
                program.row_blocks.push(Block::vector(label, start, "entry", block.dim));
            }
            row += block.dim;
        }
        let (a, b): (CscMatrix, Vec<f64>) = rows.finish(n);
        program.a = a;
        program.b = b;
        program.cones = cones;
        Ok(program)
    }

    /// Checks that `n` variables, `rows` rows and `nonzeros` entries fit the memory budget.
    pub(super) fn fits(
        &self,
        line: usize,
        what: &str,
        n: usize,
        rows: usize,
        nonzeros: usize,
    ) -> Result<(), CbfError> {
        let wide = |v: usize| v as u128;
        let need =
            BYTES_PER_VARIABLE * wide(n) + BYTES_PER_ROW * wide(rows) + BYTES_PER_NONZERO * wide(nonzeros);
        if need <= u128::from(self.budget) {
            return Ok(());
        }
        Err(malformed(
            line,
            format!(
                "{what}: the program would need about {} MiB, more than the memory budget of {} MiB (raise it with --max-memory if the machine has the memory)",
                need >> 20,
                self.budget >> 20
            ),
        ))
    }

    /// The error for a block whose rows overflow to a non-finite number under the block's map: at
    /// the line of the largest value on CBF row `row` (a `VAR` block has none: at the block).
    fn overflow(&self, block: &ConeBlock, row: Option<usize>) -> CbfError {
        let on_row = |r: usize| {
            let a = self.entries.iter().filter(|e| e.row == r).map(|e| (e.value.abs(), e.line));
            let b = self.b.iter().filter(|e| e.0 == r).map(|e| (e.1.abs(), e.2));
            a.chain(b).max_by(|x, y| x.0.total_cmp(&y.0))
        };
        let found = row.and_then(on_row);
        let line = found.map_or(block.line, |(_, line)| line);
        malformed(
            line,
            format!(
                "a value here overflows to infinity in the cone `{}` (declared at line {}): its map to the IR's cone (see docs/backends.md) adds or scales the values of the row beyond the largest double; scale the row down",
                self.cone_name(block),
                block.line
            ),
        )
    }

    /// The block's cone as written in the file, e.g. `@0:POW 3`.
    fn cone_name(&self, block: &ConeBlock) -> String {
        let name = match block.cone {
            CbfCone::Free => "F".to_string(),
            CbfCone::Nonneg => "L+".into(),
            CbfCone::Nonpos => "L-".into(),
            CbfCone::Zero => "L=".into(),
            CbfCone::Quad => "Q".into(),
            CbfCone::RotatedQuad => "QR".into(),
            CbfCone::Exp => "EXP".into(),
            CbfCone::ExpDual => "EXP*".into(),
            CbfCone::Pow(k) => format!("@{k}:POW"),
            CbfCone::PowDual(k) => format!("@{k}:POW*"),
        };
        format!("{name} {}", block.dim)
    }

    /// The exponents of a power cone's table entry, normalised to add up to 1.
    fn betas(&self, cone: CbfCone) -> Vec<f64> {
        let alphas = match cone {
            CbfCone::Pow(k) => self.pow.as_ref().map(|t| t[k].clone()),
            CbfCone::PowDual(k) => self.pow_dual.as_ref().map(|t| t[k].clone()),
            _ => None,
        }
        .unwrap_or_default();
        let sum: f64 = alphas.iter().sum();
        alphas.iter().map(|a| a / sum).collect()
    }

    /// Emits the IR rows of one block, `A = −T·A_in`, `b = T·b_in`, and returns the IR cone.
    fn emit(
        &self,
        rows: &mut RowBuilder,
        scratch: &mut Vec<(usize, f64)>,
        src: &Source,
        block: &ConeBlock,
    ) -> Result<Cone, usize> {
        let d = block.dim;
        let r = FRAC_1_SQRT_2;
        let (map, cone) = match block.cone {
            CbfCone::Free => unreachable!("free blocks emit no rows"),
            CbfCone::Nonneg => (Map::scale(1.0), Cone::Nonneg(d)),
            // u ≤ 0 ⇔ −u ≥ 0.
            CbfCone::Nonpos => (Map::scale(-1.0), Cone::Nonneg(d)),
            CbfCone::Zero => (Map::scale(1.0), Cone::Zero(d)),
            CbfCone::Quad => (Map::scale(1.0), Cone::SecondOrder(d)),
            // 2·u₀·u₁ = ((u₀+u₁)/√2)² − ((u₀−u₁)/√2)².
            CbfCone::RotatedQuad => {
                (Map::head(vec![vec![(0, r), (1, r)], vec![(0, r), (1, -r)]]), Cone::SecondOrder(d))
            }
            // CBF's (u₀, u₁, u₂) = Clarabel's (z, y, x).
            CbfCone::Exp => (Map::head(vec![vec![(2, 1.0)], vec![(1, 1.0)], vec![(0, 1.0)]]), Cone::Exp),
            // (x, y, z) = (u₂ − u₁, −u₂, u₀); derivation in the module documentation.
            CbfCone::ExpDual => {
                (Map::head(vec![vec![(2, 1.0), (1, -1.0)], vec![(2, -1.0)], vec![(0, 1.0)]]), Cone::Exp)
            }
            CbfCone::Pow(_) => {
                let beta = self.betas(block.cone);
                match beta.as_slice() {
                    [b0, _] => (Map::scale(1.0), Cone::Power(*b0)),
                    _ => (Map::scale(1.0), Cone::SecondOrder(d)),
                }
            }
            // (u₀/β₀)^β₀ (u₁/β₁)^β₁ ≥ |u₂|: scale the first two rows.
            CbfCone::PowDual(_) => {
                let beta = self.betas(block.cone);
                match beta.as_slice() {
                    [b0, b1] => (Map::head(vec![vec![(0, 1.0 / b0)], vec![(1, 1.0 / b1)]]), Cone::Power(*b0)),
                    _ => (Map::scale(1.0), Cone::SecondOrder(d)),
                }
            }
        };
        for k in 0..d {
            let finite = match map.head.get(k) {
                Some(terms) => emit_row(rows, scratch, src, terms),
                None => emit_row(rows, scratch, src, &[(k, map.rest)]),
            };
            if !finite {
                // The first input row the failing row reads.
                return Err(map.head.get(k).and_then(|t| t.first()).map_or(k, |t| t.0));
            }
        }
        Ok(cone)
    }
}

/// A block's map `T`: explicit terms for the first rows, then `s_k = rest · u_k`.
struct Map {
    head: Vec<Vec<(usize, f64)>>,
    rest: f64,
}

impl Map {
    fn scale(rest: f64) -> Self {
        Map { head: Vec::new(), rest }
    }

    fn head(head: Vec<Vec<(usize, f64)>>) -> Self {
        Map { head, rest: 1.0 }
    }
}

/// The input rows of a block, `A_in` in compressed rows and `b_in`, starting at row `start`.
struct Source<'s> {
    ptr: &'s [usize],
    cols: &'s [usize],
    vals: &'s [f64],
    b: &'s [f64],
    start: usize,
}

impl Source<'_> {
    fn row(&self, k: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.start + k;
        let range = self.ptr[r]..self.ptr[r + 1];
        self.cols[range.clone()].iter().copied().zip(self.vals[range].iter().copied())
    }
}

/// Emits one IR row `s = Σ coeff · u_idx`: `A = −Σ coeff · A_in[idx]`, `b = Σ coeff · b_in[idx]`.
/// Returns whether every number of the row is finite.
fn emit_row(
    rows: &mut RowBuilder,
    scratch: &mut Vec<(usize, f64)>,
    src: &Source,
    terms: &[(usize, f64)],
) -> bool {
    let mut b = 0.0;
    let mut finite = true;
    if let [(idx, coeff)] = *terms {
        // One input row: its columns are already distinct, so no merging is needed.
        for (j, v) in src.row(idx) {
            let v = -coeff * v;
            finite &= v.is_finite();
            rows.push_entry(j, v);
        }
        b = coeff * src.b[src.start + idx];
    } else {
        scratch.clear();
        for &(idx, coeff) in terms {
            scratch.extend(src.row(idx).map(|(j, v)| (j, -coeff * v)));
            b += coeff * src.b[src.start + idx];
        }
        scratch.sort_by_key(|e| e.0);
        let mut k = 0;
        while k < scratch.len() {
            let (j, mut v) = scratch[k];
            k += 1;
            while k < scratch.len() && scratch[k].0 == j {
                v += scratch[k].1;
                k += 1;
            }
            finite &= v.is_finite();
            rows.push_entry(j, v);
        }
    }
    // Avoid storing −0.0 (from negating an absent constant).
    rows.end_row(if b == 0.0 { 0.0 } else { b });
    finite && b.is_finite()
}

/// Appends a cone, merging it into the previous one when both are zero or both non-negative cones.
fn push_cone(cones: &mut Vec<Cone>, cone: Cone) {
    match (cones.last_mut(), cone) {
        (Some(Cone::Zero(d)), Cone::Zero(e)) | (Some(Cone::Nonneg(d)), Cone::Nonneg(e)) => *d += e,
        _ => cones.push(cone),
    }
}
