//! The optimal assignment (Hungarian method, O(n³)): which column each row is matched to so that the
//! sum of the costs is least. Used to match recovered filters to planted ones without trying all
//! `M!` orders.

/// For a square cost matrix `cost[r][c]` (finite), the column matched to each row, minimising the
/// total cost.
pub fn assign(cost: &[Vec<f64>]) -> Vec<usize> {
    let n = cost.len();
    // Potentials of rows (`u`) and columns (`v`), with a dummy column 0; `row_of[c]` is the row
    // matched to column `c` (1-based, 0 for none).
    let (mut u, mut v) = (vec![0.0; n + 1], vec![0.0; n + 1]);
    let mut row_of = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for r in 1..=n {
        row_of[0] = r;
        let mut c0 = 0;
        let mut min_to = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[c0] = true;
            let r0 = row_of[c0];
            let (mut delta, mut c1) = (f64::INFINITY, 0);
            for c in 1..=n {
                if used[c] {
                    continue;
                }
                let reduced = cost[r0 - 1][c - 1] - u[r0] - v[c];
                if reduced < min_to[c] {
                    min_to[c] = reduced;
                    way[c] = c0;
                }
                if min_to[c] < delta {
                    delta = min_to[c];
                    c1 = c;
                }
            }
            for c in 0..=n {
                if used[c] {
                    u[row_of[c]] += delta;
                    v[c] -= delta;
                } else {
                    min_to[c] -= delta;
                }
            }
            c0 = c1;
            if row_of[c0] == 0 {
                break;
            }
        }
        // Flip the augmenting path.
        loop {
            let c1 = way[c0];
            row_of[c0] = row_of[c1];
            c0 = c1;
            if c0 == 0 {
                break;
            }
        }
    }
    let mut col_of = vec![0; n];
    for c in 1..=n {
        if row_of[c] > 0 {
            col_of[row_of[c] - 1] = c - 1;
        }
    }
    col_of
}

#[cfg(test)]
mod tests {
    use super::*;

    /// All permutations of `0..n`, for checking against brute force.
    fn permutations(n: usize) -> Vec<Vec<usize>> {
        if n == 0 {
            return vec![vec![]];
        }
        let mut out = Vec::new();
        for p in permutations(n - 1) {
            for k in 0..=p.len() {
                let mut q = p.clone();
                q.insert(k, n - 1);
                out.push(q);
            }
        }
        out
    }

    #[test]
    fn matches_brute_force_on_random_matrices() {
        let mut state = 99u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for n in 1..=6 {
            for _ in 0..20 {
                let cost: Vec<Vec<f64>> = (0..n).map(|_| (0..n).map(|_| next()).collect()).collect();
                let total = |p: &[usize]| p.iter().enumerate().map(|(r, &c)| cost[r][c]).sum::<f64>();
                let best = permutations(n).iter().map(|p| total(p)).fold(f64::INFINITY, f64::min);
                let got = assign(&cost);
                let mut sorted = got.clone();
                sorted.sort_unstable();
                assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "a permutation");
                assert!((total(&got) - best).abs() < 1e-12, "n = {n}: {} vs {best}", total(&got));
            }
        }
    }
}
