//! The printed form of a [`ConeProgram`]: a stable, deterministic, human-readable text that the
//! project's snapshot tests compare. The layout is documented in `docs/ir.md`; a change here changes
//! every IR snapshot, so keep it deliberate.

use std::fmt::{self, Write as _};

use crate::block::{locate, Block};
use crate::{Cone, ConeProgram, CscMatrix, Sense};

impl fmt::Display for ConeProgram {
    /// Writes the program section by section: header, variables, cones, objective, constraints.
    ///
    /// Printing never panics, even for a program that does not validate, so that a broken program can
    /// still be looked at; parts that do not fit (a row outside every block, a column without a name)
    /// are printed with plain numbers instead.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl ConeProgram {
    fn render(&self) -> String {
        let mut out = String::new();
        self.render_header(&mut out);
        self.render_variables(&mut out);
        self.render_cones(&mut out);
        self.render_objective(&mut out);
        self.render_constraints(&mut out);
        out
    }

    fn render_header(&self, out: &mut String) {
        let _ = writeln!(out, "cone program `{}`", self.name);
        let sense = match self.sense {
            Sense::Minimize => "minimize (the data below are the user's objective)",
            Sense::Maximize => "maximize (stored negated: the data below minimise −objective)",
        };
        let _ = writeln!(out, "  sense  {sense}");
        let _ = writeln!(
            out,
            "  size   n = {}, m = {}, nnz(A) = {}, nnz(P) = {}",
            self.n,
            self.a.m,
            self.a.nzval.len(),
            self.p.nzval.len()
        );
    }

    fn render_variables(&self, out: &mut String) {
        out.push_str("\nvariables\n");
        if self.var_blocks.is_empty() {
            let _ = writeln!(out, "  (no named blocks; columns are x[0..{}])", self.n);
            return;
        }
        let rows: Vec<[String; 3]> = self
            .var_blocks
            .iter()
            .map(|b| [b.name.clone(), format!("x[{}..{}]", b.start, b.end()), shape(b)])
            .collect();
        write_table(out, "  ", &rows);
    }

    fn render_cones(&self, out: &mut String) {
        out.push_str("\ncones\n");
        if self.cones.is_empty() {
            out.push_str("  (none)\n");
            return;
        }
        let mut rows = Vec::new();
        let mut row = 0usize;
        let mut k = 0;
        while k < self.cones.len() {
            // A run is a maximal sequence of equal cones (same kind, dimension and exponent).
            let cone = self.cones[k];
            let run = self.cones[k..].iter().take_while(|&&c| c == cone).count();
            let rows_in_run = cone.dim().saturating_mul(run);
            let end = row.saturating_add(rows_in_run);
            let what = match cone {
                Cone::Zero(d) | Cone::Nonneg(d) | Cone::SecondOrder(d) => format!("{} {d}", cone.kind()),
                Cone::Exp => "exp".to_string(),
                Cone::Power(a) => format!("pow({})", num(a)),
            };
            let what = if run > 1 { format!("{what} × {run}") } else { what };
            rows.push([format!("r{row}..{end}"), what]);
            row = end;
            k += run;
        }
        write_table(out, "  ", &rows);
    }

    fn render_objective(&self, out: &mut String) {
        out.push_str("\nobjective  minimise ½xᵀPx + qᵀx + c\n");
        let terms: Vec<(usize, f64)> =
            self.q.iter().copied().enumerate().filter(|&(_, v)| v != 0.0).collect();
        let _ = writeln!(out, "  q  {}", self.linear_form(&terms, "0"));
        let p = safe_triplets(&self.p);
        if p.is_empty() {
            out.push_str("  P  0\n");
        }
        for (i, j, v) in p {
            let _ = writeln!(out, "  P[{}, {}] = {}", self.column_name(i), self.column_name(j), num(v));
        }
        let _ = writeln!(out, "  c  {}", num(self.c));
    }

    fn render_constraints(&self, out: &mut String) {
        out.push_str("\nconstraints  A x + s = b\n");
        let m = self.a.m;
        if m == 0 {
            out.push_str("  (none)\n");
            return;
        }
        // Rows are wanted one at a time while A is stored by columns: gather each row's entries once.
        let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::new(); m];
        for (i, j, v) in safe_triplets(&self.a) {
            rows[i].push((j, v));
        }
        for r in &mut rows {
            r.sort_by_key(|&(j, _)| j);
        }
        let cone_labels = self.row_cone_labels();
        let label_width = format!("r{}", m - 1).len();
        let mut i = 0;
        while i < m {
            // A group is a row block, or a maximal run of rows outside every block.
            let (header, end, block) = match locate(&self.row_blocks, i) {
                Some((b, _)) => {
                    (format!("{}  r{}..{}  {}", b.name, b.start, b.end(), shape(b)), b.end(), Some(b))
                }
                None => {
                    let end = (i..m).find(|&r| locate(&self.row_blocks, r).is_some()).unwrap_or(m);
                    let name = if self.row_blocks.is_empty() { "rows" } else { "rows outside every block" };
                    (format!("{name}  r{i}..{end}"), end, None)
                }
            };
            let _ = writeln!(out, "  {}", header.trim_end());
            let end = end.min(m);
            let items: Vec<String> =
                (i..end).map(|r| block.map(|b| item_label(b, r - b.start)).unwrap_or_default()).collect();
            let item_width = items.iter().map(|s| s.chars().count()).max().unwrap_or(0);
            let cone_width = cone_labels[i..end].iter().map(|s| s.chars().count()).max().unwrap_or(0);
            for (r, item) in (i..end).zip(&items) {
                // A missing right-hand side (a program that does not validate) prints as `?`.
                let b = self.b.get(r).map_or("?".to_string(), |&v| num(v));
                let lhs = self.linear_form(&rows[r], "");
                let lhs = if lhs.is_empty() { "s".to_string() } else { format!("{lhs} + s") };
                let mut cells = vec![pad(&format!("r{r}"), label_width)];
                if item_width > 0 {
                    cells.push(pad(item, item_width));
                }
                cells.push(pad(&cone_labels[r], cone_width));
                cells.push(format!("{lhs} = {b}"));
                let line = format!("    {}", cells.join("  "));
                let _ = writeln!(out, "{}", line.trim_end());
            }
            i = end;
        }
    }

    /// The cone each row belongs to, as printed in the constraint lines: `zero` or `nonneg` for the
    /// rows of those cones, and `soc#k:e`, `exp#k:e`, `pow#k:e` (cone number `k` in the cone list,
    /// entry `e` of the cone) for the rows of the others. Rows past the last cone get `?`.
    fn row_cone_labels(&self) -> Vec<String> {
        let m = self.a.m;
        let mut labels = Vec::with_capacity(m);
        'cones: for (k, cone) in self.cones.iter().enumerate() {
            for e in 0..cone.dim() {
                if labels.len() == m {
                    break 'cones;
                }
                labels.push(match cone {
                    Cone::Zero(_) | Cone::Nonneg(_) => cone.kind().to_string(),
                    _ => format!("{}#{k}:{e}", cone.kind()),
                });
            }
        }
        labels.resize(m, "?".to_string());
        labels
    }

    /// The short name of column `j` used in printed formulas: the block name followed by the index
    /// values in brackets and, for blocks of width above 1, `.offset` (e.g. `t[0,3]`, `u[2].1`, `w`).
    /// A column outside every block is `x[j]`.
    pub fn column_name(&self, j: usize) -> String {
        match locate(&self.var_blocks, j) {
            Some((b, pos)) => format!("{}{}", b.name, item_label(b, pos)),
            None => format!("x[{j}]"),
        }
    }

    /// `c₁·name₁ + c₂·name₂ − …` for the given `(column, coefficient)` terms, or `empty` if none.
    fn linear_form(&self, terms: &[(usize, f64)], empty: &str) -> String {
        let mut s = String::new();
        for (k, &(j, v)) in terms.iter().enumerate() {
            let name = self.column_name(j);
            if k == 0 {
                let _ = write!(s, "{}·{name}", num(v));
            } else if v < 0.0 {
                let _ = write!(s, " - {}·{name}", num(-v));
            } else {
                let _ = write!(s, " + {}·{name}", num(v));
            }
        }
        if s.is_empty() {
            empty.to_string()
        } else {
            s
        }
    }
}

/// Formats a number deterministically: the shortest decimal that reads back as the same `f64`, in
/// plain notation for magnitudes in [1e-4, 1e15) and in exponent notation (`1e-7`, `2.5e20`)
/// otherwise; both zeros print as `0`. Rust formats floats in software, so the text is the same on
/// every platform.
pub(crate) fn num(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else if v.is_nan() {
        "NaN".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_string()
    } else if (1e-4..1e15).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// The index of a block as printed in tables: `[sample 2, patch 4]`, followed by `× width` when
/// items have several columns or rows.
fn shape(b: &Block) -> String {
    let mut s = String::new();
    if !b.index.is_empty() {
        let axes: Vec<String> = b.index.iter().map(|a| format!("{} {}", a.name, a.size)).collect();
        let _ = write!(s, "[{}]", axes.join(", "));
    }
    if b.width > 1 {
        if !s.is_empty() {
            s.push(' ');
        }
        let _ = write!(s, "× {}", b.width);
    }
    s
}

/// The compact label of position `pos` in block `b`: `[i,j]` for the index values and `.e` for the
/// entry inside the item when the width is above 1. Empty for a block of one item of width 1.
fn item_label(b: &Block, pos: usize) -> String {
    let (values, offset) = b.unravel(pos);
    let mut s = String::new();
    if !values.is_empty() {
        let v: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        let _ = write!(s, "[{}]", v.join(","));
    }
    if b.width > 1 {
        let _ = write!(s, ".{offset}");
    }
    s
}

/// Pads `s` with spaces to `width` characters (not bytes: names may hold `ξ` or `≥`).
fn pad(s: &str, width: usize) -> String {
    let mut p = s.to_string();
    for _ in s.chars().count()..width {
        p.push(' ');
    }
    p
}

/// Writes rows of cells as a table with columns separated by two spaces and aligned on characters.
fn write_table<const K: usize>(out: &mut String, indent: &str, rows: &[[String; K]]) {
    let mut widths = [0usize; K];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let cells: Vec<String> = row.iter().zip(widths).map(|(c, w)| pad(c, w)).collect();
        let _ = writeln!(out, "{indent}{}", cells.join("  ").trim_end());
    }
}

/// The entries of a matrix as `(row, column, value)`, skipping anything a malformed matrix would make
/// out of range, so that printing never panics.
fn safe_triplets(a: &CscMatrix) -> Vec<(usize, usize, f64)> {
    let mut t = Vec::with_capacity(a.nzval.len());
    let len = a.rowval.len().min(a.nzval.len());
    for j in 0..a.n.min(a.colptr.len().saturating_sub(1)) {
        let (lo, hi) = (a.colptr[j].min(len), a.colptr[j + 1].min(len));
        for k in lo..hi.max(lo) {
            if a.rowval[k] < a.m {
                t.push((a.rowval[k], j, a.nzval[k]));
            }
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Block, RowBuilder};

    #[test]
    fn numbers_are_shortest_and_fixed() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(-1.5), "-1.5");
        assert_eq!(num(0.1), "0.1");
        assert_eq!(num(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(num(1e-7), "1e-7");
        assert_eq!(num(2.5e20), "2.5e20");
        assert_eq!(num(123456.0), "123456");
        assert_eq!(num(f64::INFINITY), "inf");
        assert_eq!(num(f64::NAN), "NaN");
    }

    /// A small program using every section: two variable blocks, a quadratic objective, three row
    /// blocks and all cone kinds.
    fn sample() -> ConeProgram {
        let mut p = ConeProgram::new("sample", 5, Sense::Maximize);
        p.var_blocks =
            vec![Block::vector("w", 0, "coordinate", 2), Block::array("t", 2, &[("sample", 3)], 1)];
        p.q = vec![-1.0, 0.0, 0.5, 0.0, 0.0];
        p.p = CscMatrix::from_triplets(5, 5, &[(0, 0, 2.0), (0, 1, -1.0)]);
        p.c = 0.25;
        let mut r = RowBuilder::new();
        // labels: t_i ≤ y_i, as t_i + s = y_i, s ≥ 0.
        r.push_row(&[(2, 1.0)], 1.0);
        r.push_row(&[(3, 1.0)], -2.0);
        r.push_row(&[(4, 1.0)], 1e-7);
        // ‖w‖ ≤ 1, as (1, w) ∈ SOC: −(0, −w) + s = (1, 0, 0).
        r.push_row(&[], 1.0);
        r.push_row(&[(0, -1.0)], 0.0);
        r.push_row(&[(1, -1.0)], 0.0);
        // An exponential and a power cone over (w₀, w₁, t₀).
        for _ in 0..2 {
            r.push_row(&[(0, -1.0)], 0.0);
            r.push_row(&[(1, -1.0)], 0.0);
            r.push_row(&[(2, -1.0)], 0.0);
        }
        // An equality w₀ + w₁ = 0.
        r.push_row(&[(1, 1.0), (0, 1.0)], 0.0);
        let (a, b) = r.finish(5);
        p.a = a;
        p.b = b;
        p.cones =
            vec![Cone::Nonneg(3), Cone::SecondOrder(3), Cone::Exp, Cone::Power(1.0 / 3.0), Cone::Zero(1)];
        p.row_blocks = vec![
            Block::vector("labels: t ≤ y", 0, "sample", 3),
            Block::array("bound: ‖w‖ ≤ 1", 3, &[], 3),
            Block::array("cones", 6, &[("kind", 2)], 3),
            Block::array("sum", 12, &[], 1),
        ];
        p.validate().unwrap();
        p
    }

    /// The example shown in `docs/ir.md`; update both together.
    #[test]
    fn printed_form_of_a_sample_program() {
        let expected = "\
cone program `sample`
  sense  maximize (stored negated: the data below minimise −objective)
  size   n = 5, m = 13, nnz(A) = 13, nnz(P) = 2

variables
  w  x[0..2]  [coordinate 2]
  t  x[2..5]  [sample 3]

cones
  r0..3    nonneg 3
  r3..6    soc 3
  r6..9    exp
  r9..12   pow(0.3333333333333333)
  r12..13  zero 1

objective  minimise ½xᵀPx + qᵀx + c
  q  -1·w[0] + 0.5·t[0]
  P[w[0], w[0]] = 2
  P[w[0], w[1]] = -1
  c  0.25

constraints  A x + s = b
  labels: t ≤ y  r0..3  [sample 3]
    r0   [0]  nonneg  1·t[0] + s = 1
    r1   [1]  nonneg  1·t[1] + s = -2
    r2   [2]  nonneg  1·t[2] + s = 1e-7
  bound: ‖w‖ ≤ 1  r3..6  × 3
    r3   .0  soc#1:0  s = 1
    r4   .1  soc#1:1  -1·w[0] + s = 0
    r5   .2  soc#1:2  -1·w[1] + s = 0
  cones  r6..12  [kind 2] × 3
    r6   [0].0  exp#2:0  -1·w[0] + s = 0
    r7   [0].1  exp#2:1  -1·w[1] + s = 0
    r8   [0].2  exp#2:2  -1·t[0] + s = 0
    r9   [1].0  pow#3:0  -1·w[0] + s = 0
    r10  [1].1  pow#3:1  -1·w[1] + s = 0
    r11  [1].2  pow#3:2  -1·t[0] + s = 0
  sum  r12..13
    r12  zero  1·w[0] + 1·w[1] + s = 0
";
        assert_eq!(sample().to_string(), expected);
    }

    #[test]
    fn runs_of_equal_cones_are_compressed() {
        let mut p = ConeProgram::new("runs", 0, Sense::Minimize);
        p.cones =
            vec![Cone::SecondOrder(3), Cone::SecondOrder(3), Cone::SecondOrder(2), Cone::Exp, Cone::Exp];
        let text = p.to_string();
        assert!(text.contains("  r0..6   soc 3 × 2\n  r6..8   soc 2\n  r8..14  exp × 2\n"), "{text}");
    }

    #[test]
    fn a_program_without_blocks_uses_plain_numbers() {
        let mut r = RowBuilder::new();
        r.push_row(&[(0, -1.0)], -1.0);
        let (a, b) = r.finish(1);
        let mut p = ConeProgram::new("tiny", 1, Sense::Minimize);
        p.q = vec![1.0];
        p.a = a;
        p.b = b;
        p.cones = vec![Cone::Nonneg(1)];
        let text = p.to_string();
        assert!(text.contains("(no named blocks; columns are x[0..1])"), "{text}");
        assert!(text.contains("  q  1·x[0]\n"), "{text}");
        assert!(text.contains("  rows  r0..1\n    r0  nonneg  -1·x[0] + s = -1\n"), "{text}");
    }

    #[test]
    fn printing_a_broken_program_does_not_panic() {
        let mut p = sample();
        p.b.truncate(2);
        p.cones.pop();
        p.row_blocks.truncate(1);
        p.a.colptr[2] = 1_000;
        p.var_blocks[1].width = 0;
        let text = p.to_string();
        assert!(text.contains("rows outside every block  r3..13"), "{text}");
        assert!(text.contains("    r1   [1]  nonneg  1·w[1] + 1·x[3] + s = -2\n"), "{text}");
        assert!(text.contains("    r12  ?        1·w[0] + 1·w[1] + s = ?\n"), "{text}");
    }

    #[test]
    fn printing_is_deterministic() {
        assert_eq!(sample().to_string(), sample().to_string());
    }
}
