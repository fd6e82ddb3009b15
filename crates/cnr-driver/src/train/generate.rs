//! Arrangements generated from the dual (`arrangements generated P`, docs/learned.md): solve over
//! the patterns so far, price new ones at the fit's residual by ascent from random filters and
//! from the current neurons, drop the patterns whose neurons are zero (gated form), add the best
//! that price above the weight decay (up to `P` held), and solve again, from the last point, until
//! none does. Where every pattern can be enumerated, a round whose search finds none prices every
//! pattern the program does not hold, exactly, and adds those above `β`: when none is left, the
//! price of every pattern left out is at most `β`, a proof of the global minimum (the gated price
//! bounds the exact form's from above).

use super::methods::Solve;
use super::GenerationRecord;
use crate::Error;
use cnr_check::data::{generator, normals};
use cnr_check::Model;
use cnr_ir::Status;
use cnr_lower::learned::{all_arrangements, LearnedLayout, PatternSet, Pricing};
use std::time::Instant;

/// A pattern improves the objective when its price exceeds `β` by more than this (relative): the
/// solves' own tolerance leaves the held patterns' prices about this close to `β`.
pub const PRICE_SLACK: f64 = 1e-6;

/// Random starts of the ascent per pattern a round may add.
const STARTS_PER_PATTERN: usize = 4;

/// A pattern's neurons count as zero when every one of its groups is at most this, relative to
/// the largest group: an interior-point optimum leaves zero groups at about the solve's tolerance.
const ZERO_GROUP: f64 = 1e-6;

/// The most rounds: with patterns dropped as well as added, the set's size no longer bounds them.
const MAX_ROUNDS: usize = 64;

/// The patterns a round may add: an eighth of the most, at least one.
fn per_round(count: usize) -> usize {
    count.div_ceil(8).max(1)
}

/// Grows `first` round by round up to `count` patterns, solving over each set by `solve`; returns
/// the last set, its solve and the record of the rounds.
pub(super) fn by_generation(
    model: &Model,
    first: PatternSet,
    count: usize,
    seed: u64,
    threads: usize,
    mut solve: impl FnMut(&PatternSet, &LearnedLayout, Option<&[f64]>) -> Result<Solve, Error>,
) -> Result<(PatternSet, Solve, GenerationRecord), Error> {
    let learn = model.learn.as_ref().expect("a learned model");
    let (beta, gated) = (learn.weight_decay, learn.form == cnr_check::learned::Form::Gated);
    let improves = |price: f64| price > beta * (1.0 + PRICE_SLACK);
    let h = cnr_lower::learned::patch_len(model);
    // The starts' own stream, apart from the first quarter's filters (seed + 1).
    let mut rng = generator(seed.wrapping_add(1));
    let mut record = GenerationRecord { sampled: first.len(), ..GenerationRecord::default() };
    let mut set = first;
    let mut warm: Option<Vec<f64>> = None;
    // Every round's lowering and solving, which the record's timings add up.
    let (mut lowering, mut solving) = (0.0, 0.0);
    loop {
        let layout = LearnedLayout::new(model, set.len());
        let mut solved = solve(&set, &layout, warm.as_deref())?;
        lowering += solved.lowering_seconds;
        solving += solved.solving_seconds;
        (solved.lowering_seconds, solved.solving_seconds) = (lowering, solving);
        record.rounds += 1;
        record.patterns.push(set.len());
        record.objectives.push(solved.objective);
        let Some(x) = solved.x.as_deref().filter(|_| solved.status == Status::Optimal) else {
            return Ok((set, solved, record));
        };
        let pricing_started = Instant::now();
        let pricing = Pricing::at(model, &layout, &set, x);
        // In the gated form (a group lasso) a zero group is one whose price is at most β: drop such
        // patterns, so the cap holds the patterns that carry the fit and the search goes on past
        // it, and one comes back only if the residual moves its price above β. The objective does
        // not rise: the point stays feasible without them. (In the exact form the price searched is
        // the gated one, an upper bound: a pattern it finds may stay zero, and would cycle.)
        let dropped = if gated { zero_patterns(&layout, x) } else { vec![false; set.len()] };
        let kept = if dropped.contains(&true) { set.without(model, |j| dropped[j]) } else { set.clone() };
        let limit = kept.len() + count.saturating_sub(kept.len()).min(per_round(count));
        // Starts: random filters, and the current neurons' own (their groups).
        let mut starts: Vec<Vec<f64>> =
            (0..STARTS_PER_PATTERN * per_round(count)).map(|_| normals(&mut rng, h)).collect();
        starts.extend(
            (0..layout.groups()).map(|j| x[layout.group(j)].to_vec()).filter(|g| g.iter().any(|&v| v != 0.0)),
        );
        let mut found = ascend_all(&pricing, &starts, threads);
        found.sort_by(|a, b| b.price.total_cmp(&a.price));
        record.largest_price = found.first().map_or(0.0, |p| p.price);
        let improving = found.into_iter().filter(|p| improves(p.price)).map(|p| p.filter).collect();
        let mut grown = grown_by(model, &kept, improving, limit);
        if grown.len() == kept.len() {
            // The search found nothing: where every pattern is known, price those left out.
            if let Ok(all) = all_arrangements(model) {
                let mut left: Vec<(f64, Vec<f64>)> = all
                    .generators
                    .into_iter()
                    .filter(|g| set.extended(model, vec![g.clone()]).len() > set.len())
                    .map(|g| (pricing.price_of(&g), g))
                    .collect();
                left.sort_by(|a, b| b.0.total_cmp(&a.0));
                record.largest_price_left_out = Some(left.first().map_or(0.0, |p| p.0));
                let improving = left.into_iter().filter(|p| improves(p.0)).map(|p| p.1).collect();
                grown = grown_by(model, &kept, improving, limit);
            }
        }
        record.pricing_seconds += pricing_started.elapsed().as_secs_f64();
        // Nothing new (what was dropped would only come back): this round's set and solve stand.
        if grown.len() == kept.len() || record.rounds >= MAX_ROUNDS {
            return Ok((set, solved, record));
        }
        record.dropped += set.len() - kept.len();
        // The next solve starts from this one: the kept patterns' neurons where they are (the
        // kept come first, in order, the new ones after them), zeros for the new.
        let old_of: Vec<usize> = (0..set.len()).filter(|&j| !dropped[j]).collect();
        warm = Some(moved(&layout, x, &LearnedLayout::new(model, grown.len()), &old_of));
        set = grown;
    }
}

/// Which patterns of the program `layout` have every neuron zero at `x` (each group at most
/// [`ZERO_GROUP`] of the largest); none when every group is zero.
fn zero_patterns(layout: &LearnedLayout, x: &[f64]) -> Vec<bool> {
    let p = layout.arrangements;
    let norms: Vec<f64> = (0..layout.groups()).map(|g| cnr_numerics::norm(&x[layout.group(g)])).collect();
    let largest = norms.iter().copied().fold(0.0f64, f64::max);
    (0..p)
        .map(|j| largest > 0.0 && norms.iter().skip(j).step_by(p).all(|&n| n <= ZERO_GROUP * largest))
        .collect()
}

/// `kept` and the new patterns of `filters` (best first), at most `limit` in all: all added at
/// once (a pattern held already, or found twice, is added once), then those past the limit
/// dropped — two passes over the patch matrix, not one per pattern.
fn grown_by(model: &Model, kept: &PatternSet, filters: Vec<Vec<f64>>, limit: usize) -> PatternSet {
    let grown = kept.extended(model, filters);
    if grown.len() > limit {
        grown.without(model, |j| j >= limit)
    } else {
        grown
    }
}

/// The ascent from every start, on `threads` threads: each start's is its own, so the result, in
/// the starts' order, does not depend on the number of threads.
fn ascend_all(pricing: &Pricing, starts: &[Vec<f64>], threads: usize) -> Vec<cnr_lower::learned::Priced> {
    let chunk = starts.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = starts
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|s| pricing.ascend(s)).collect::<Vec<_>>()))
            .collect();
        parts.into_iter().flat_map(|p| p.join().expect("an ascent does not panic")).collect()
    })
}

/// The point `x` of `from` in the layout `to`, whose pattern `j < old_of.len()` is `from`'s pattern
/// `old_of[j]` (each of its groups, and the offset, carried over) and whose later patterns are new
/// (zero). The residual and epigraph variables are left at zero: the first-order method, which
/// takes the point, reads only the groups and the offset.
fn moved(from: &LearnedLayout, x: &[f64], to: &LearnedLayout, old_of: &[usize]) -> Vec<f64> {
    let mut out = vec![0.0; to.n];
    let sides = to.groups() / to.arrangements.max(1);
    for side in 0..sides {
        for (j, &old) in old_of.iter().enumerate() {
            out[to.group(side * to.arrangements + j)]
                .copy_from_slice(&x[from.group(side * from.arrangements + old)]);
        }
    }
    if let (Some(a), Some(b)) = (from.offset, to.offset) {
        out[b] = x[a];
    }
    out
}

/// Whether the generation proved the global minimum: the last solve optimal and no pattern of
/// the whole arrangement left out of its program priced above `β`.
pub(super) fn proves_global(record: &GenerationRecord, beta: f64, status: Status) -> bool {
    status == Status::Optimal
        && record.largest_price_left_out.is_some_and(|p| p <= beta * (1.0 + PRICE_SLACK))
}
