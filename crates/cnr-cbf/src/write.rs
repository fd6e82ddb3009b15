//! The CBF writer: one function per section, called in the order the format requires.
//!
//! # Mapping from the IR
//!
//! The IR states `A x + s = b, s ∈ K`, that is `(−A) x + b ∈ K`; CBF states `A_cbf x + b_cbf ∈ K`. So the
//! writer prints `ACOORD = −A` and `BCOORD = +b`, after the fixed row map of each cone:
//!
//! | IR cone | CBF block | rows |
//! |---|---|---|
//! | `Zero(d)` | `L= d` | as they are |
//! | `Nonneg(d)` | `L+ d` | as they are |
//! | `SecondOrder(1)` | `L+ 1` (the same set; CBF's `Q` needs dimension ≥ 2) | as they are |
//! | `SecondOrder(d)` | `Q d` | as they are |
//! | `Exp` | `EXP 3` | **reversed**: Clarabel's `(x, y, z)` with `y·exp(x/y) ≤ z` is CBF's `(z, y, x)` |
//! | `Power(α)` | `@k:POW 3`, table entry `k = (α, 1 − α)` | as they are |
//!
//! Every variable is free (`VAR n 1` / `F n`). Adjacent `L=` (or `L+`) blocks are merged into one.
//! A maximisation (stored negated in the IR) is written as `OBJSENSE MAX` with the user's objective.
//! The version written is the lowest one that holds the content: 3 with power cones, 2 with exponential
//! cones, 1 otherwise.

use std::io::{self, BufWriter, Write};

use cnr_ir::{Block, Cone, ConeProgram, IrError, Sense};
use thiserror::Error;

/// Why a program could not be written as CBF.
#[derive(Debug, Error)]
pub enum CbfWriteError {
    /// The program does not validate (wrong sizes, broken sparse structure, a NaN or an infinity, …).
    #[error("cannot write `{name}` as CBF: {source}")]
    Invalid {
        /// The program's name.
        name: String,
        /// What the validator found.
        #[source]
        source: IrError,
    },
    /// The objective has a quadratic part, which CBF cannot express.
    #[error(
        "cannot write `{name}` as CBF: its objective has a quadratic part (P has {nnz} non-zero entries), \
         and CBF has no quadratic terms; solve it with the Clarabel backend instead"
    )]
    Quadratic {
        /// The program's name.
        name: String,
        /// How many non-zero entries `P` has.
        nnz: usize,
    },
    /// The output could not be written.
    #[error("could not write the CBF output: {0}")]
    Io(#[from] io::Error),
}

/// Writes `program` as a CBF file to `out`, buffered.
///
/// `tool_version` is recorded in a comment at the top (e.g. `cnr 0.1.0`). The program is validated
/// first, so non-finite data and inconsistent sizes are refused with [`CbfWriteError::Invalid`], and a
/// quadratic objective with [`CbfWriteError::Quadratic`]. Output is streamed: the writer allocates
/// nothing per entry, so a program with millions of non-zeros is written at the speed of the disk.
pub fn write_cbf<W: Write>(program: &ConeProgram, out: W, tool_version: &str) -> Result<(), CbfWriteError> {
    program.validate().map_err(|source| CbfWriteError::Invalid { name: program.name.clone(), source })?;
    let nnz_p = program.p.nzval.iter().filter(|&&v| v != 0.0).count();
    if nnz_p > 0 {
        return Err(CbfWriteError::Quadratic { name: program.name.clone(), nnz: nnz_p });
    }
    let layout = Layout::of(program);
    let mut w = Out::new(out);
    write_comments(&mut w, program, tool_version)?;
    write_ver(&mut w, &layout)?;
    write_powcones(&mut w, &layout)?;
    write_objsense(&mut w, program)?;
    write_var(&mut w, program)?;
    write_con(&mut w, &layout)?;
    write_objacoord(&mut w, program)?;
    write_objbcoord(&mut w, program)?;
    write_acoord(&mut w, program, &layout)?;
    write_bcoord(&mut w, program, &layout)?;
    w.w.flush()?;
    Ok(())
}

/// The kind of one CBF constraint block.
#[derive(Clone, Copy, Debug, PartialEq)]
enum BlockKind {
    Zero,
    Nonneg,
    Quad,
    Exp,
    /// A power cone referring to entry `k` of the `POWCONES` table.
    Pow(usize),
}

/// How the IR's rows become CBF blocks, computed once before writing.
struct Layout {
    /// The CON blocks in row order, with their dimensions.
    blocks: Vec<(BlockKind, usize)>,
    /// The distinct power-cone exponents, in order of first use.
    alphas: Vec<f64>,
    /// `perm[r]` is the IR row written as CBF row `r` (the map is its own inverse); `None` when no
    /// exponential cone reorders anything.
    perm: Option<Vec<usize>>,
    /// Whether any exponential cone is present.
    has_exp: bool,
}

impl Layout {
    fn of(program: &ConeProgram) -> Self {
        let mut blocks: Vec<(BlockKind, usize)> = Vec::with_capacity(program.cones.len());
        let mut alphas: Vec<f64> = Vec::new();
        let mut has_exp = false;
        for cone in &program.cones {
            let (kind, dim) = match *cone {
                Cone::Zero(d) => (BlockKind::Zero, d),
                Cone::Nonneg(d) => (BlockKind::Nonneg, d),
                // CBF's `Q` needs dimension ≥ 2; the 1-dimensional second-order cone is s₀ ≥ 0.
                Cone::SecondOrder(1) => (BlockKind::Nonneg, 1),
                Cone::SecondOrder(d) => (BlockKind::Quad, d),
                Cone::Exp => {
                    has_exp = true;
                    (BlockKind::Exp, 3)
                }
                Cone::Power(a) => {
                    // Equal exponents share one table entry; compare bits so the table is exact.
                    let k = match alphas.iter().position(|x| x.to_bits() == a.to_bits()) {
                        Some(k) => k,
                        None => {
                            alphas.push(a);
                            alphas.len() - 1
                        }
                    };
                    (BlockKind::Pow(k), 3)
                }
            };
            if dim == 0 {
                continue;
            }
            match blocks.last_mut() {
                // Merge runs of linear cones of the same kind: one `L+ 7` instead of seven `L+ 1`.
                Some((last, d)) if *last == kind && matches!(kind, BlockKind::Zero | BlockKind::Nonneg) => {
                    *d += dim;
                }
                _ => blocks.push((kind, dim)),
            }
        }
        let perm = has_exp.then(|| {
            let mut perm: Vec<usize> = (0..program.m()).collect();
            let mut row = 0;
            for cone in &program.cones {
                if let Cone::Exp = cone {
                    // Clarabel's (x, y, z) is CBF's (z, y, x): swap the first and third rows.
                    perm.swap(row, row + 2);
                }
                row += cone.dim();
            }
            perm
        });
        Layout { blocks, alphas, perm, has_exp }
    }

    /// The lowest CBF version that can hold the content.
    fn version(&self) -> usize {
        if !self.alphas.is_empty() {
            3
        } else if self.has_exp {
            2
        } else {
            1
        }
    }

    /// The IR row written as CBF row `r` (and the CBF row of IR row `r`: the map is an involution).
    #[inline]
    fn row(&self, r: usize) -> usize {
        match &self.perm {
            Some(p) => p[r],
            None => r,
        }
    }
}

/// A buffered writer with reusable number formatters.
struct Out<W: Write> {
    w: BufWriter<W>,
    ints: itoa::Buffer,
    reals: ryu::Buffer,
}

impl<W: Write> Out<W> {
    fn new(out: W) -> Self {
        Out {
            w: BufWriter::with_capacity(1 << 16, out),
            ints: itoa::Buffer::new(),
            reals: ryu::Buffer::new(),
        }
    }

    fn text(&mut self, s: &str) -> io::Result<()> {
        self.w.write_all(s.as_bytes())
    }

    fn int(&mut self, v: usize) -> io::Result<()> {
        self.w.write_all(self.ints.format(v).as_bytes())
    }

    /// Writes a finite real as the shortest text that reads back to the same `f64` (no `+`, no
    /// 300-digit expansions, which could break CBF's 512-byte line limit).
    fn real(&mut self, v: f64) -> io::Result<()> {
        debug_assert!(v.is_finite(), "non-finite numbers are refused before writing");
        self.w.write_all(self.reals.format(v).as_bytes())
    }

    fn space(&mut self) -> io::Result<()> {
        self.w.write_all(b" ")
    }

    fn newline(&mut self) -> io::Result<()> {
        self.w.write_all(b"\n")
    }

    /// Starts an item: its keyword alone on a line.
    fn keyword(&mut self, keyword: &str) -> io::Result<()> {
        self.text(keyword)?;
        self.newline()
    }

    /// Ends an item with the one blank line the format puts between items.
    fn end_item(&mut self) -> io::Result<()> {
        self.newline()
    }

    /// Writes one comment line, made safe: a control character would end the line early and the
    /// format caps lines at about 509 bytes.
    fn comment(&mut self, text: &str) -> io::Result<()> {
        let mut line = String::with_capacity(text.len() + 2);
        line.push_str("# ");
        for ch in text.chars() {
            if line.len() + ch.len_utf8() > 400 {
                line.push_str("...");
                break;
            }
            line.push(if ch.is_control() { ' ' } else { ch });
        }
        self.text(&line)?;
        self.newline()
    }
}

/// Comments go before `VER`: some readers do not skip them inside an item.
fn write_comments<W: Write>(w: &mut Out<W>, program: &ConeProgram, tool_version: &str) -> io::Result<()> {
    w.comment(&format!("program: {}", program.name))?;
    w.comment(&format!("written by {tool_version}"))?;
    for block in &program.var_blocks {
        w.comment(&format!("columns {}..{}: {}", block.start, block.end(), describe_block(block)))?;
    }
    for block in &program.row_blocks {
        w.comment(&format!("rows {}..{}: {}", block.start, block.end(), describe_block(block)))?;
    }
    Ok(())
}

/// `w [coordinate 16]`, or `relu [sample 3, patch 4], 2 each` for items wider than one.
fn describe_block(block: &Block) -> String {
    let mut s = block.name.clone();
    if !block.index.is_empty() {
        let axes: Vec<String> = block.index.iter().map(|i| format!("{} {}", i.name, i.size)).collect();
        s.push_str(&format!(" [{}]", axes.join(", ")));
    }
    if block.width > 1 {
        s.push_str(&format!(", {} each", block.width));
    }
    s
}

fn write_ver<W: Write>(w: &mut Out<W>, layout: &Layout) -> io::Result<()> {
    w.keyword("VER")?;
    w.int(layout.version())?;
    w.newline()?;
    w.end_item()
}

/// The power-cone table (v3): `K L`, then per entry its length `2` and the exponents `α`, `1 − α`.
/// Readers normalise the entry, so `(α, 1 − α)` reads back as exactly `α` (the two add up to 1.0 in
/// floating point).
fn write_powcones<W: Write>(w: &mut Out<W>, layout: &Layout) -> io::Result<()> {
    if layout.alphas.is_empty() {
        return Ok(());
    }
    w.keyword("POWCONES")?;
    w.int(layout.alphas.len())?;
    w.space()?;
    w.int(2 * layout.alphas.len())?;
    w.newline()?;
    for &a in &layout.alphas {
        w.text("2\n")?;
        w.real(a)?;
        w.newline()?;
        w.real(1.0 - a)?;
        w.newline()?;
    }
    w.end_item()
}

fn write_objsense<W: Write>(w: &mut Out<W>, program: &ConeProgram) -> io::Result<()> {
    w.keyword("OBJSENSE")?;
    w.keyword(match program.sense {
        Sense::Minimize => "MIN",
        Sense::Maximize => "MAX",
    })?;
    w.end_item()
}

/// All variables are free; the cones live in the constraint rows.
fn write_var<W: Write>(w: &mut Out<W>, program: &ConeProgram) -> io::Result<()> {
    w.keyword("VAR")?;
    w.int(program.n)?;
    if program.n == 0 {
        w.text(" 0\n")?;
    } else {
        w.text(" 1\nF ")?;
        w.int(program.n)?;
        w.newline()?;
    }
    w.end_item()
}

fn write_con<W: Write>(w: &mut Out<W>, layout: &Layout) -> io::Result<()> {
    if layout.blocks.is_empty() {
        return Ok(());
    }
    w.keyword("CON")?;
    w.int(layout.blocks.iter().map(|b| b.1).sum())?;
    w.space()?;
    w.int(layout.blocks.len())?;
    w.newline()?;
    for &(kind, dim) in &layout.blocks {
        match kind {
            BlockKind::Zero => w.text("L= ")?,
            BlockKind::Nonneg => w.text("L+ ")?,
            BlockKind::Quad => w.text("Q ")?,
            BlockKind::Exp => w.text("EXP ")?,
            BlockKind::Pow(k) => {
                w.text("@")?;
                w.int(k)?;
                w.text(":POW ")?;
            }
        }
        w.int(dim)?;
        w.newline()?;
    }
    w.end_item()
}

/// The user's objective: the stored `q` for a minimisation, `−q` for a maximisation (the IR stores a
/// maximisation negated).
fn user_sign(program: &ConeProgram) -> f64 {
    match program.sense {
        Sense::Minimize => 1.0,
        Sense::Maximize => -1.0,
    }
}

fn write_objacoord<W: Write>(w: &mut Out<W>, program: &ConeProgram) -> io::Result<()> {
    let nnz = program.q.iter().filter(|&&v| v != 0.0).count();
    if nnz == 0 {
        return Ok(());
    }
    let sign = user_sign(program);
    w.keyword("OBJACOORD")?;
    w.int(nnz)?;
    w.newline()?;
    for (j, &v) in program.q.iter().enumerate() {
        if v != 0.0 {
            w.int(j)?;
            w.space()?;
            w.real(sign * v)?;
            w.newline()?;
        }
    }
    w.end_item()
}

fn write_objbcoord<W: Write>(w: &mut Out<W>, program: &ConeProgram) -> io::Result<()> {
    if program.c == 0.0 {
        return Ok(());
    }
    w.keyword("OBJBCOORD")?;
    w.real(user_sign(program) * program.c)?;
    w.newline()?;
    w.end_item()
}

/// `ACOORD = −A` (CBF's expression is `A_cbf x + b_cbf ∈ K`, the IR's slack is `b − A x ∈ K`), with the
/// rows of each exponential cone reversed. Entries go out column by column, as the IR stores them.
fn write_acoord<W: Write>(w: &mut Out<W>, program: &ConeProgram, layout: &Layout) -> io::Result<()> {
    let nnz = program.a.nzval.iter().filter(|&&v| v != 0.0).count();
    if nnz == 0 {
        return Ok(());
    }
    w.keyword("ACOORD")?;
    w.int(nnz)?;
    w.newline()?;
    let a = &program.a;
    for j in 0..a.n {
        for k in a.colptr[j]..a.colptr[j + 1] {
            let v = a.nzval[k];
            if v != 0.0 {
                w.int(layout.row(a.rowval[k]))?;
                w.space()?;
                w.int(j)?;
                w.space()?;
                w.real(-v)?;
                w.newline()?;
            }
        }
    }
    w.end_item()
}

/// `BCOORD = +b`, in CBF row order.
fn write_bcoord<W: Write>(w: &mut Out<W>, program: &ConeProgram, layout: &Layout) -> io::Result<()> {
    let nnz = program.b.iter().filter(|&&v| v != 0.0).count();
    if nnz == 0 {
        return Ok(());
    }
    w.keyword("BCOORD")?;
    w.int(nnz)?;
    w.newline()?;
    for r in 0..program.b.len() {
        let v = program.b[layout.row(r)];
        if v != 0.0 {
            w.int(r)?;
            w.space()?;
            w.real(v)?;
            w.newline()?;
        }
    }
    w.end_item()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cnr_ir::{CscMatrix, RowBuilder};

    fn tiny(cones: Vec<Cone>) -> ConeProgram {
        let m: usize = cones.iter().map(Cone::dim).sum();
        let mut rows = RowBuilder::new();
        for i in 0..m {
            rows.push_row(&[(0, (i + 1) as f64)], i as f64);
        }
        let (a, b) = rows.finish(1);
        let mut p = ConeProgram::new("t", 1, Sense::Minimize);
        p.a = a;
        p.b = b;
        p.cones = cones;
        p
    }

    #[test]
    fn version_is_the_lowest_that_suffices() {
        assert_eq!(Layout::of(&tiny(vec![Cone::Zero(1), Cone::SecondOrder(3)])).version(), 1);
        assert_eq!(Layout::of(&tiny(vec![Cone::Exp])).version(), 2);
        assert_eq!(Layout::of(&tiny(vec![Cone::Exp, Cone::Power(0.5)])).version(), 3);
    }

    #[test]
    fn linear_cones_merge_and_powers_share_entries() {
        let layout = Layout::of(&tiny(vec![
            Cone::Nonneg(2),
            Cone::Nonneg(1),
            Cone::SecondOrder(1),
            Cone::Zero(1),
            Cone::Power(0.25),
            Cone::Power(0.5),
            Cone::Power(0.25),
        ]));
        assert_eq!(
            layout.blocks,
            vec![
                (BlockKind::Nonneg, 4),
                (BlockKind::Zero, 1),
                (BlockKind::Pow(0), 3),
                (BlockKind::Pow(1), 3),
                (BlockKind::Pow(0), 3)
            ]
        );
        assert_eq!(layout.alphas, vec![0.25, 0.5]);
    }

    #[test]
    fn exp_rows_are_reversed() {
        let layout = Layout::of(&tiny(vec![Cone::Nonneg(1), Cone::Exp, Cone::Exp]));
        assert_eq!(layout.perm, Some(vec![0, 3, 2, 1, 6, 5, 4]));
    }

    #[test]
    fn quadratic_objective_is_refused() {
        let mut p = tiny(vec![Cone::Nonneg(1)]);
        p.p = CscMatrix::from_triplets(1, 1, &[(0, 0, 2.0)]);
        let err = write_cbf(&p, Vec::new(), "test").unwrap_err();
        assert!(matches!(err, CbfWriteError::Quadratic { nnz: 1, .. }), "{err}");
        assert!(err.to_string().contains("quadratic"));
    }

    #[test]
    fn non_finite_data_is_refused() {
        let mut p = tiny(vec![Cone::Nonneg(1)]);
        p.b[0] = f64::NAN;
        assert!(matches!(write_cbf(&p, Vec::new(), "test"), Err(CbfWriteError::Invalid { .. })));
        let mut p = tiny(vec![Cone::Nonneg(1)]);
        p.q[0] = f64::INFINITY;
        assert!(matches!(write_cbf(&p, Vec::new(), "test"), Err(CbfWriteError::Invalid { .. })));
    }

    #[test]
    fn comments_are_sanitised_and_capped() {
        let mut p = tiny(vec![Cone::Nonneg(1)]);
        p.name = format!("two\nlines{}", "x".repeat(1000));
        let mut out = Vec::new();
        write_cbf(&p, &mut out, "test").unwrap();
        let text = String::from_utf8(out).unwrap();
        let first = text.lines().next().unwrap();
        assert!(first.starts_with("# program: two lines"));
        assert!(first.len() <= 410);
        assert!(text.lines().all(|l| l.len() < 509));
    }
}
