//! The groups' cones of the exact form and the projections onto them (`cone_lasso`'s proximal
//! step and dual test): one cone per pattern, `C = {w : s_r ⟨x_r, w⟩ ≥ 0 for every row r}`.
//!
//! A projection is the non-negative least squares `min_{λ ≥ 0} ‖v + Σ_r λ_r s_r x_r‖` by the
//! active-set method of Lawson and Hanson, warm-started from the rows that held the group's last
//! projection. A pass over every row and group at once (`X W`, block by block of rows, by
//! `matrixmultiply` through ndarray, the blocks split over threads) finds the groups that violate
//! a row, and for each the rows that may be active at its projection.

use crate::fit::norm;
use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array2, ArrayView2, ShapeBuilder};

/// Below this many products a pass runs on one thread (a thread costs more than it saves).
const PARALLEL_WORK: usize = 1 << 18;

/// A row is violated when `s ⟨x_r, w⟩ < −VIOLATED ‖x_r‖ ‖v‖` (`v` the point projected): the
/// projection's accuracy.
const VIOLATED: f64 = 1e-12;

/// Rows of `X` a pass's block holds: its `X W` (`block × 2P`) fits in about 256 kB.
fn block_rows(groups: usize) -> usize {
    (32_768 / groups.max(1)).clamp(8, 4_096)
}

/// One thread's buffers: a block of `X W`, and the active-set method's.
struct Work {
    z: Array2<f64>,
    least: Vec<f64>,
    candidates: Vec<Vec<u32>>,
    projection: Projection,
}

/// The active-set method's buffers (`k ≤ h` rows held).
#[derive(Default)]
struct Projection {
    start: Vec<f64>,
    gram: Vec<f64>,
    rhs: Vec<f64>,
    solution: Vec<f64>,
    mu: Vec<f64>,
    steps: usize,
}

/// What a series of projections of each group keeps: the rows held at its last projection (the
/// next one's warm start) and the point it gave (a point of the cone, whose distance bounds the
/// next one's).
struct Faces {
    active: Vec<Vec<u32>>,
    last: Vec<f64>,
}

impl Faces {
    fn new(groups: usize, h: usize) -> Faces {
        Faces { active: vec![Vec::new(); groups], last: vec![0.0; groups * h] }
    }
}

/// Which series a projection belongs to.
#[derive(Clone, Copy)]
pub(crate) enum Series {
    Primal,
    Dual,
}

/// The cones: `X`, its rows' norms, the signs, the two series of projections, and the threads'
/// buffers.
pub(crate) struct Cones<'a> {
    rows: ArrayView2<'a, f64>,
    norms: Vec<f64>,
    signs: &'a [i8],
    p: usize,
    h: usize,
    /// The projections of the points, and of the dual's test vectors.
    primal: Faces,
    dual: Faces,
    /// Each group's rows that may be active at its projection.
    candidates: Vec<Vec<u32>>,
    work: Vec<Work>,
    block: usize,
}

impl<'a> Cones<'a> {
    pub(crate) fn new(rows: ArrayView2<'a, f64>, signs: ArrayView2<'a, i8>, threads: usize) -> Cones<'a> {
        let (m, h) = rows.dim();
        let p = signs.ncols();
        let groups = 2 * p;
        let threads = if m * groups * h < PARALLEL_WORK { 1 } else { threads.max(1).min(m.max(1)) };
        let block = block_rows(groups).min(m.div_ceil(threads).max(1));
        let work = (0..threads)
            .map(|_| Work {
                z: Array2::zeros((block, groups)),
                least: vec![0.0; 2 * groups],
                candidates: vec![Vec::new(); groups],
                projection: Projection::default(),
            })
            .collect();
        Cones {
            rows,
            norms: rows.rows().into_iter().map(|r| norm(r.as_slice().expect("rows by rows"))).collect(),
            signs: signs.to_slice().expect("the signs by rows"),
            p,
            h,
            primal: Faces::new(groups, h),
            dual: Faces::new(groups, h),
            candidates: vec![Vec::new(); groups],
            work,
            block,
        }
    }

    /// Over every row and group of `w` (`2P` groups, group-major): the least `s ⟨x_r, w_g⟩`, raw
    /// and over `‖x_r‖`, per group (`2 · 2P` numbers: raw, then scaled); with `radii`, each
    /// group's rows whose scaled value is at most its radius into `self.candidates`.
    pub(crate) fn least(&mut self, w: &[f64], radii: Option<&[f64]>) -> Vec<f64> {
        let (m, h) = self.rows.dim();
        let (p, groups) = (self.p, 2 * self.p);
        let threads = self.work.len();
        let share = m.div_ceil(threads).max(1);
        let (rows, signs, norms, block) = (self.rows, self.signs, &self.norms, self.block);
        let wv = ArrayView2::from_shape((h, groups).f(), w).expect("2P groups of h numbers");
        let one = |start: usize, work: &mut Work| {
            let end = (start + share).min(m);
            let Work { z, least, candidates, .. } = work;
            least.iter_mut().for_each(|l| *l = f64::INFINITY);
            candidates.iter_mut().for_each(Vec::clear);
            let (raw, scaled) = least.split_at_mut(groups);
            let mut b0 = start;
            while b0 < end {
                let b1 = (b0 + block).min(end);
                let xb = rows.slice(s![b0..b1, ..]);
                let mut zb = z.slice_mut(s![..b1 - b0, ..]);
                general_mat_mul(1.0, &xb, &wv, 0.0, &mut zb);
                for (r, zrow) in zb.rows().into_iter().enumerate() {
                    let srow = &signs[(b0 + r) * p..(b0 + r + 1) * p];
                    let inverse = 1.0 / norms[b0 + r].max(f64::MIN_POSITIVE);
                    let zrow = zrow.to_slice().expect("a block's rows are contiguous");
                    for (half, zs) in zrow.chunks_exact(p.max(1)).enumerate() {
                        for (j, (&z, &sign)) in zs.iter().zip(srow).enumerate() {
                            let value = f64::from(sign) * z;
                            let g = half * p + j;
                            raw[g] = raw[g].min(value);
                            scaled[g] = scaled[g].min(value * inverse);
                            if let Some(radii) = radii {
                                if sign != 0 && value * inverse <= radii[g] {
                                    candidates[g].push((b0 + r) as u32);
                                }
                            }
                        }
                    }
                }
                b0 = b1;
            }
        };
        if threads == 1 {
            one(0, &mut self.work[0]);
        } else {
            std::thread::scope(|scope| {
                for (t, work) in self.work.iter_mut().enumerate() {
                    scope.spawn(move || one(t * share, work));
                }
            });
        }
        let mut out = vec![f64::INFINITY; 2 * groups];
        for work in &self.work {
            out.iter_mut().zip(&work.least).for_each(|(o, l)| *o = o.min(*l));
        }
        if radii.is_some() {
            // The threads' rows are in order: their lists, one after the other, are ascending.
            for (g, merged) in self.candidates.iter_mut().enumerate() {
                merged.clear();
                for work in &self.work {
                    merged.extend_from_slice(&work.candidates[g]);
                }
            }
        }
        out
    }

    /// Projects every group of `w` onto its cone, in place: the groups that violate a row by the
    /// pass, each warm-started from its rows held in `series`. Returns the active-set steps.
    pub(crate) fn project_all(&mut self, w: &mut [f64], series: Series) -> usize {
        let groups = 2 * self.p;
        let h = self.h;
        let mut faces = std::mem::replace(
            match series {
                Series::Primal => &mut self.primal,
                Series::Dual => &mut self.dual,
            },
            Faces { active: Vec::new(), last: Vec::new() },
        );
        // The projection is no farther from a group's point than its last projection, a point of
        // the cone: a row active there has a scaled value at most that distance.
        let radii: Vec<f64> = w
            .chunks_exact(h)
            .zip(faces.last.chunks_exact(h))
            .map(|(v, l)| {
                v.iter().zip(l).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt() * (1.0 + 1e-9) + 1e-300
            })
            .collect();
        let least = self.least(w, Some(&radii));
        let threads = self.work.len();
        let chunk = groups.div_ceil(threads).max(1);
        let (rows, norms, signs, p, candidates) =
            (self.rows, &self.norms, self.signs, self.p, &self.candidates);
        let run =
            |first: usize, w: &mut [f64], last: &mut [f64], active: &mut [Vec<u32>], work: &mut Work| {
                work.projection.steps = 0;
                let groups_here = w.chunks_exact_mut(h).zip(last.chunks_exact_mut(h)).zip(active.iter_mut());
                for (i, ((v, last), held)) in groups_here.enumerate() {
                    let g = first + i;
                    let vn = norm(v);
                    if least[groups + g] < -VIOLATED * vn {
                        let cone = Cone { rows, norms, signs, p, pattern: g % p };
                        project(cone, v, Some(&candidates[g]), held, &mut work.projection);
                    } else {
                        held.clear();
                    }
                    last.copy_from_slice(v);
                }
                work.projection.steps
            };
        let steps = if threads == 1 {
            run(0, w, &mut faces.last, &mut faces.active, &mut self.work[0])
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = w
                    .chunks_mut(chunk * h)
                    .zip(faces.last.chunks_mut(chunk * h))
                    .zip(faces.active.chunks_mut(chunk))
                    .zip(self.work.iter_mut())
                    .enumerate()
                    .map(|(t, (((w, last), active), work))| {
                        scope.spawn(move || run(t * chunk, w, last, active, work))
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().expect("a projection does not panic")).sum()
            })
        };
        match series {
            Series::Primal => self.primal = faces,
            Series::Dual => self.dual = faces,
        }
        steps
    }
}

/// One pattern's cone: the rows, their norms and the pattern's signs.
#[derive(Clone, Copy)]
struct Cone<'a, 'b> {
    rows: ArrayView2<'a, f64>,
    norms: &'b [f64],
    signs: &'a [i8],
    p: usize,
    pattern: usize,
}

impl Cone<'_, '_> {
    fn sign(&self, r: usize) -> f64 {
        f64::from(self.signs[r * self.p + self.pattern])
    }

    /// `s_r x_r`.
    fn row(&self, r: usize) -> impl Iterator<Item = f64> + '_ {
        let s = self.sign(r);
        let h = self.rows.ncols();
        self.rows.as_slice().expect("the rows by rows")[r * h..(r + 1) * h].iter().map(move |a| s * a)
    }
}

/// Solves `min ‖v₀ + Σ_{r ∈ held} μ_r g_r‖` (`g_r = s_r x_r`) over `μ` into `work.solution`, by
/// the normal equations (`k ≤ h` rows, Cholesky, a tiny ridge for rows nearly dependent).
fn least_squares(cone: Cone, held: &[u32], work: &mut Projection) {
    let k = held.len();
    work.gram.clear();
    work.gram.resize(k * k, 0.0);
    work.rhs.clear();
    for (a, &ra) in held.iter().enumerate() {
        for (b, &rb) in held.iter().enumerate().take(a + 1) {
            let dot: f64 = cone.row(ra as usize).zip(cone.row(rb as usize)).map(|(x, y)| x * y).sum();
            work.gram[a * k + b] = dot;
            work.gram[b * k + a] = dot;
        }
        work.rhs.push(-cone.row(ra as usize).zip(&work.start).map(|(x, v)| x * v).sum::<f64>());
    }
    let ridge = 1e-13 * (0..k).map(|a| work.gram[a * k + a]).fold(0.0, f64::max);
    // Cholesky in place (lower), then the two triangular solves.
    for a in 0..k {
        for b in 0..=a {
            let mut sum = work.gram[a * k + b] + if a == b { ridge } else { 0.0 };
            for c in 0..b {
                sum -= work.gram[a * k + c] * work.gram[b * k + c];
            }
            work.gram[a * k + b] =
                if a == b { sum.max(f64::MIN_POSITIVE).sqrt() } else { sum / work.gram[b * k + b] };
        }
    }
    work.solution.clear();
    work.solution.extend_from_slice(&work.rhs);
    for a in 0..k {
        for c in 0..a {
            work.solution[a] -= work.gram[a * k + c] * work.solution[c];
        }
        work.solution[a] /= work.gram[a * k + a];
    }
    for a in (0..k).rev() {
        for c in a + 1..k {
            work.solution[a] -= work.gram[c * k + a] * work.solution[c];
        }
        work.solution[a] /= work.gram[a * k + a];
    }
}

/// The row of `rows` (all of them when `among` is `None`) that `v` violates most, by more than
/// `VIOLATED ‖x_r‖ scale`, with `s⟨x_r, v⟩ / ‖x_r‖`.
fn most_violated(cone: Cone, v: &[f64], among: Option<&[u32]>, scale: f64) -> Option<usize> {
    let h = v.len();
    let all = cone.rows.as_slice().expect("the rows by rows");
    let mut worst = (usize::MAX, -VIOLATED * scale);
    let mut test = |r: usize| {
        let s = cone.sign(r);
        if s != 0.0 {
            let z = s * crate::fit::dot(&all[r * h..(r + 1) * h], v);
            if z < 0.0 {
                let scaled = z / cone.norms[r].max(f64::MIN_POSITIVE);
                if scaled < worst.1 {
                    worst = (r, scaled);
                }
            }
        }
    };
    match among {
        Some(rows) => rows.iter().for_each(|&r| test(r as usize)),
        None => (0..cone.rows.nrows()).for_each(&mut test),
    }
    (worst.0 != usize::MAX).then_some(worst.0)
}

/// Projects `v` onto `cone` in place by the active-set method of Lawson and Hanson on the dual
/// `min_{μ ≥ 0} ‖v + Σ μ_r g_r‖`, starting from the rows `held` (kept only where their
/// multipliers come out positive); `held` leaves with the rows of the projection's face.
///
/// `among`, when given, are the only rows tested: they must hold every row active at the
/// projection (`Cones::project_all` takes those within its distance bound). The projection onto
/// the larger cone of those rows is then the projection onto the cone: it lies in the cone, and
/// the normal cone there is the same.
fn project(cone: Cone, v: &mut [f64], among: Option<&[u32]>, held: &mut Vec<u32>, work: &mut Projection) {
    let h = v.len();
    let scale = norm(v);
    if scale == 0.0 {
        held.clear();
        return;
    }
    work.start.clear();
    work.start.extend_from_slice(v);
    // The warm rows: drop the most negative multiplier until all are positive.
    loop {
        least_squares(cone, held, work);
        work.steps += 1;
        match work.solution.iter().enumerate().filter(|(_, &m)| m <= 0.0).min_by(|a, b| a.1.total_cmp(b.1)) {
            Some((worst, _)) => {
                held.remove(worst);
            }
            None => break,
        }
    }
    work.mu.clear();
    work.mu.extend_from_slice(&work.solution);
    for _ in 0..8 * h + 40 {
        // The point at these multipliers, and the row it violates most.
        v.copy_from_slice(&work.start);
        for (&r, &mu) in held.iter().zip(&work.mu) {
            v.iter_mut().zip(cone.row(r as usize)).for_each(|(x, g)| *x += mu * g);
        }
        let Some(worst) = most_violated(cone, v, among, scale) else { return };
        held.push(worst as u32);
        work.mu.push(0.0);
        // Lawson–Hanson's inner loop: move towards the least squares of the rows held until every
        // multiplier is positive, dropping those that reach zero.
        loop {
            least_squares(cone, held, work);
            work.steps += 1;
            if work.solution.iter().all(|&s| s > 0.0) {
                work.mu.copy_from_slice(&work.solution);
                break;
            }
            let mut alpha = 1.0f64;
            for (&mu, &s) in work.mu.iter().zip(&work.solution) {
                if s <= 0.0 {
                    alpha = alpha.min(mu / (mu - s).max(f64::MIN_POSITIVE));
                }
            }
            for (mu, &s) in work.mu.iter_mut().zip(&work.solution) {
                *mu += alpha * (s - *mu);
            }
            let mut i = 0;
            while i < held.len() {
                if work.mu[i] <= 1e-15 * scale {
                    held.remove(i);
                    work.mu.remove(i);
                } else {
                    i += 1;
                }
            }
            if held.is_empty() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cone_lasso::tests::random;

    #[test]
    fn a_projection_is_the_nearest_point_of_the_cone() {
        let (_, _, rows, signs) = random(1, 2, 4, 50, 4);
        let cones = Cones::new(rows.view(), signs.view(), 1);
        let mut work = Projection::default();
        for trial in 0..20 {
            let v: Vec<f64> = (0..4).map(|i| (((trial * 7 + i * 13) % 11) as f64 - 5.0) / 3.0).collect();
            let cone =
                Cone { rows: cones.rows, norms: &cones.norms, signs: cones.signs, p: 2, pattern: trial % 2 };
            let (mut p, mut held) = (v.clone(), Vec::new());
            project(cone, &mut p, None, &mut held, &mut work);
            // In the cone, ...
            for r in 0..50 {
                let z: f64 = cone.row(r).zip(&p).map(|(a, b)| a * b).sum();
                assert!(z >= -1e-10, "row {r}: {z}");
            }
            // ... and `v − p` is normal to it at `p`: orthogonal to `p`, and at an obtuse angle with
            // every point of the cone (its rows' filter, and the points of other projections).
            let d: Vec<f64> = v.iter().zip(&p).map(|(a, b)| a - b).collect();
            assert!(d.iter().zip(&p).map(|(a, b)| a * b).sum::<f64>().abs() < 1e-10);
            for other in 0..20 {
                let u: Vec<f64> = (0..4).map(|i| (((other * 5 + i * 3) % 7) as f64 - 3.0) / 2.0).collect();
                let (mut q, mut held) = (u, Vec::new());
                project(cone, &mut q, None, &mut held, &mut work);
                assert!(d.iter().zip(&q).map(|(a, b)| a * b).sum::<f64>() <= 1e-10);
            }
            // Warm-started from its own rows, the projection is the same point.
            let mut again = v.clone();
            project(cone, &mut again, None, &mut held, &mut work);
            assert!(again.iter().zip(&p).all(|(a, b)| (a - b).abs() < 1e-12), "{again:?} {p:?}");
        }
    }
}
