//! The CBF items, one method each: `VER`, the power-cone tables, `OBJSENSE`, the cone headers of
//! `VAR` and `CON` with their checks, and the coefficient lists `OBJACOORD`, `OBJBCOORD`,
//! `ACOORD`, `BCOORD`.

use super::*;

impl<'a> Reader<'a> {
    pub(super) fn read_ver(&mut self) -> Result<(), CbfError> {
        let (line, [v]) = self.fields::<1>("VER", "the version number")?;
        let version = int(line, v, "the version number")?;
        if !(1..=3).contains(&version) {
            return Err(malformed(
                line,
                format!("unsupported CBF version {version} (this reader accepts versions 1 to 3)"),
            ));
        }
        Ok(())
    }

    /// `K L`, then K entries, each a length `c` on its own line and `c` positive reals.
    pub(super) fn read_pow_table(&mut self, item: &'static str) -> Result<Vec<Vec<f64>>, CbfError> {
        let (header, [k, l]) = self.fields::<2>(item, "`K L`: the number of entries and of reals")?;
        let k = int(header, k, "the number of entries")?;
        let l = int(header, l, "the number of reals")?;
        let mut table = Vec::with_capacity(k.min(self.cur.max_lines_left()));
        let mut total = 0usize;
        for e in 0..k {
            let (line, [c]) = self.entry::<1>(item, "the length of an entry", k, e)?;
            let c = int(line, c, "the length of an entry")?;
            if c == 0 {
                return Err(malformed(line, format!("entry {e} of {item} has length 0")));
            }
            total = total.saturating_add(c);
            if total > l {
                return Err(malformed(line, format!("the entries of {item} hold more than the {l} reals its header (line {header}) announces")));
            }
            let mut alphas = Vec::with_capacity(c.min(self.cur.max_lines_left()));
            for i in 0..c {
                let (line, [a]) = self.entry::<1>(item, "an exponent", c, i)?;
                let a = real(line, a, "an exponent")?;
                if a <= 0.0 {
                    return Err(malformed(line, format!("power-cone exponents must be positive, found {a}")));
                }
                alphas.push(a);
            }
            table.push(alphas);
        }
        if total != l {
            return Err(malformed(
                header,
                format!("{item} announces {l} reals, but its entries hold {total}"),
            ));
        }
        Ok(table)
    }

    pub(super) fn read_objsense(&mut self) -> Result<(), CbfError> {
        let (line, [s]) = self.fields::<1>("OBJSENSE", "MIN or MAX")?;
        self.sense = match s {
            "MIN" => Sense::Minimize,
            "MAX" => Sense::Maximize,
            other => {
                return Err(malformed(
                    line,
                    format!("the objective sense must be MIN or MAX, found `{other}`"),
                ))
            }
        };
        Ok(())
    }

    /// `VAR` or `CON`: `total k`, then k lines `CONE dim` whose dimensions add up to `total`.
    pub(super) fn read_cones(&mut self, item: &'static str) -> Result<(usize, Vec<ConeBlock>), CbfError> {
        let (header, [total, k]) =
            self.fields::<2>(item, "`n k`: the number of scalars and of cone blocks")?;
        let scalars = if item == "VAR" { "scalar variables" } else { "scalar constraint rows" };
        let total = int(header, total, "the number of scalars")?;
        let k = int(header, k, "the number of cone blocks")?;
        if total > self.limit {
            return Err(malformed(
                header,
                format!(
                    "{item} declares {total} {scalars}, more than this reader accepts for a file of this size \
                     ({}: 16 a byte, as a variable or row that no line of the file mentions does nothing)",
                    self.limit
                ),
            ));
        }
        if k > total {
            return Err(malformed(
                header,
                format!("{k} cone blocks cannot cover {total} {scalars} (each block holds at least one)"),
            ));
        }
        let (n, m) = if item == "VAR" { (total, 0) } else { (self.n, total) };
        // A VAR block of a cone adds a row per variable, so the variables are counted as rows too.
        self.fits(header, &format!("{item} declares {total} {scalars}"), n, n + m, 0)?;
        let mut blocks = Vec::with_capacity(k.min(self.cur.max_lines_left()));
        let mut covered = 0usize;
        for b in 0..k {
            let (line, [name, dim]) = self.entry::<2>(item, "`CONE dim`", k, b)?;
            let cone = self.cone(line, name)?;
            let dim = int(line, dim, "the block dimension")?;
            self.check_dim(line, name, cone, dim)?;
            covered = covered.saturating_add(dim);
            if covered > total {
                return Err(malformed(
                    line,
                    format!(
                        "the {item} blocks cover more than the {total} {scalars} of the header (line {header})"
                    ),
                ));
            }
            blocks.push(ConeBlock { cone, dim, line });
        }
        if covered != total {
            return Err(malformed(
                header,
                format!("the {item} blocks cover {covered} of the {total} {scalars} the header announces"),
            ));
        }
        Ok((total, blocks))
    }

    /// Resolves a cone name, including the power cones' `@k:POW` and `@k:POW*`.
    pub(super) fn cone(&self, line: usize, name: &str) -> Result<CbfCone, CbfError> {
        Ok(match name {
            "F" => CbfCone::Free,
            "L+" => CbfCone::Nonneg,
            "L-" => CbfCone::Nonpos,
            "L=" => CbfCone::Zero,
            "Q" => CbfCone::Quad,
            "QR" => CbfCone::RotatedQuad,
            "EXP" => CbfCone::Exp,
            "EXP*" => CbfCone::ExpDual,
            _ => {
                let parsed = name.strip_prefix('@').and_then(|s| s.split_once(':'));
                let Some((k, kind)) = parsed else {
                    return Err(malformed(line, format!("unknown cone `{name}`")));
                };
                let (table, table_name) = match kind {
                    "POW" => (&self.pow, "POWCONES"),
                    "POW*" => (&self.pow_dual, "POW*CONES"),
                    _ => {
                        return Err(malformed(
                            line,
                            format!("unknown cone `{name}` (expected @k:POW or @k:POW*)"),
                        ))
                    }
                };
                let k = int(line, k, "a power-cone table index")?;
                let Some(table) = table else {
                    return Err(malformed(line, format!("the cone `{name}` refers to {table_name}, which the file does not define (before this line)")));
                };
                if k >= table.len() {
                    return Err(malformed(
                        line,
                        format!(
                            "the cone `{name}` refers to entry {k} of {table_name}, which has {} {}",
                            table.len(),
                            if table.len() == 1 { "entry" } else { "entries" }
                        ),
                    ));
                }
                if kind == "POW" {
                    CbfCone::Pow(k)
                } else {
                    CbfCone::PowDual(k)
                }
            }
        })
    }

    /// Checks a block's dimension against its cone's rules, and refuses shapes the IR cannot hold.
    fn check_dim(&self, line: usize, name: &str, cone: CbfCone, dim: usize) -> Result<(), CbfError> {
        if dim == 0 {
            return Err(malformed(
                line,
                format!("the block `{name} 0` is empty; dimensions must be at least 1"),
            ));
        }
        let alphas = match cone {
            CbfCone::Exp | CbfCone::ExpDual if dim != 3 => {
                return Err(malformed(
                    line,
                    format!("the exponential cone `{name}` has dimension 3, found {dim}"),
                ))
            }
            CbfCone::Quad | CbfCone::RotatedQuad if dim < 2 => {
                return Err(malformed(
                    line,
                    format!("the cone `{name}` needs dimension at least 2, found {dim}"),
                ))
            }
            CbfCone::Pow(k) => self.pow.as_ref().map(|t| &t[k]),
            CbfCone::PowDual(k) => self.pow_dual.as_ref().map(|t| &t[k]),
            _ => None,
        };
        if let Some(alphas) = alphas {
            let c = alphas.len();
            if dim <= c {
                return Err(malformed(
                    line,
                    format!("the power cone `{name} {dim}` needs more than {c} dimensions (its entry has {c} exponents)"),
                ));
            }
            if !(c == 1 || (c == 2 && dim == 3)) {
                return Err(CbfError::Unsupported {
                    line,
                    what: format!("the power cone `{name} {dim}` with {c} exponents"),
                    why: "the IR holds only 3-dimensional power cones with two exponents".into(),
                });
            }
            if c == 2 {
                let beta = alphas[0] / (alphas[0] + alphas[1]);
                let dual_scale_overflows = matches!(cone, CbfCone::PowDual(_))
                    && !((1.0 / beta).is_finite() && (1.0 / (1.0 - beta)).is_finite());
                if dual_scale_overflows {
                    return Err(CbfError::Unsupported {
                        line,
                        what: format!(
                            "the dual power cone `{name}` with exponents {:e} and {:e}",
                            alphas[0], alphas[1]
                        ),
                        why: format!("they normalise to {beta:e}, and the dual cone's scaling by its inverse overflows; use exponents whose ratio is within 1e300"),
                    });
                }
                if !(beta > 0.0 && beta < 1.0) {
                    return Err(CbfError::Unsupported {
                        line,
                        what: format!(
                            "the power cone `{name}` with exponents {} and {}",
                            alphas[0], alphas[1]
                        ),
                        why: format!("they normalise to {beta}, outside (0, 1) in floating point"),
                    });
                }
            }
        }
        Ok(())
    }

    pub(super) fn read_objacoord(&mut self) -> Result<(), CbfError> {
        let (line, [nnz]) = self.fields::<1>("OBJACOORD", "the number of entries")?;
        let nnz = int(line, nnz, "the number of entries")?;
        let mut set_at = vec![0usize; self.n];
        self.obj.reserve(nnz.min(self.cur.max_lines_left()));
        for e in 0..nnz {
            let (line, [j, v]) = self.entry::<2>("OBJACOORD", "`j value`", nnz, e)?;
            let j = index(line, j, "variable", self.n)?;
            let v = real(line, v, "a coefficient")?;
            if set_at[j] != 0 {
                return Err(malformed(
                    line,
                    format!("OBJACOORD gives variable {j} twice (first at line {})", set_at[j]),
                ));
            }
            set_at[j] = line;
            self.obj.push((j, v));
        }
        Ok(())
    }

    pub(super) fn read_objbcoord(&mut self) -> Result<(), CbfError> {
        let (line, [v]) = self.fields::<1>("OBJBCOORD", "the objective constant")?;
        self.obj_const = real(line, v, "the objective constant")?;
        Ok(())
    }

    pub(super) fn read_acoord(&mut self) -> Result<(), CbfError> {
        let (line, [nnz]) = self.fields::<1>("ACOORD", "the number of entries")?;
        let nnz = int(line, nnz, "the number of entries")?;
        let nnz_held = nnz.min(self.cur.max_lines_left());
        self.fits(line, &format!("ACOORD declares {nnz} entries"), self.n, self.n + self.m, nnz_held)?;
        self.entries.reserve(nnz_held);
        for e in 0..nnz {
            let (line, [i, j, v]) = self.entry::<3>("ACOORD", "`i j value`", nnz, e)?;
            let row = index(line, i, "constraint row", self.m)?;
            let col = index(line, j, "variable", self.n)?;
            let value = real(line, v, "a coefficient")?;
            self.entries.push(Entry { row, col, value, line });
        }
        self.entries = sort_by_position(std::mem::take(&mut self.entries), self.m);
        // Report the duplicate that appears earliest in the file.
        let duplicate = self
            .entries
            .windows(2)
            .filter(|w| (w[0].row, w[0].col) == (w[1].row, w[1].col))
            .min_by_key(|w| w[1].line);
        if let Some(w) = duplicate {
            return Err(malformed(
                w[1].line,
                format!(
                    "ACOORD gives entry ({}, {}) twice (first at line {})",
                    w[1].row, w[1].col, w[0].line
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn read_bcoord(&mut self) -> Result<(), CbfError> {
        let (line, [nnz]) = self.fields::<1>("BCOORD", "the number of entries")?;
        let nnz = int(line, nnz, "the number of entries")?;
        let mut set_at = vec![0usize; self.m];
        self.b.reserve(nnz.min(self.cur.max_lines_left()));
        for e in 0..nnz {
            let (line, [i, v]) = self.entry::<2>("BCOORD", "`i value`", nnz, e)?;
            let i = index(line, i, "constraint row", self.m)?;
            let v = real(line, v, "a constant")?;
            if set_at[i] != 0 {
                return Err(malformed(
                    line,
                    format!("BCOORD gives row {i} twice (first at line {})", set_at[i]),
                ));
            }
            set_at[i] = line;
            self.b.push((i, v, line));
        }
        Ok(())
    }
}

/// Sorts entries by (row, column, line) in O(nnz + m): a counting pass places them by row (files
/// usually list them by column, as cnr's writer does), then each short row is sorted by column.
fn sort_by_position(entries: Vec<Entry>, m: usize) -> Vec<Entry> {
    let mut next = vec![0usize; m + 1];
    for e in &entries {
        next[e.row + 1] += 1;
    }
    for i in 0..m {
        next[i + 1] += next[i];
    }
    let starts = next.clone();
    let mut sorted = vec![Entry { row: 0, col: 0, value: 0.0, line: 0 }; entries.len()];
    for e in entries {
        sorted[next[e.row]] = e;
        next[e.row] += 1;
    }
    for i in 0..m {
        sorted[starts[i]..starts[i + 1]].sort_unstable_by_key(|e| (e.col, e.line));
    }
    sorted
}
