//! The bounds of a request's numbers, checked for every caller (the command line's flags check
//! them again only to say so at the flag): a setting or limit out of its range is a usage error that
//! names it, before anything is compiled.

use crate::{Error, Request, Setting};

/// The largest seed a model takes: seeds are exact in a double.
pub const MAX_SEED: u64 = (1 << 53) - 1;

/// The most threads a request may ask for.
pub const MAX_THREADS: usize = 1024;

/// The most gradient steps of a refinement (`--refine gd=STEPS`).
pub const MAX_REFINE_STEPS: usize = 10_000_000;

/// Whether `t` is a tolerance: a number between 0 and 1.
pub fn tolerance_ok(t: f64) -> bool {
    t > 0.0 && t < 1.0
}

/// Whether `x` is a noise level: a finite number ≥ 0.
pub fn noise_ok(x: f64) -> bool {
    x >= 0.0 && x.is_finite()
}

/// Checks the request's tolerance, limits, refinement and settings against their ranges.
pub(crate) fn check(request: &Request) -> Result<(), Error> {
    let usage = |what: String| Err(Error::Usage(what));
    if let Some(t) = request.tolerance.filter(|&t| !tolerance_ok(t)) {
        return usage(format!("tolerance: a number between 0 and 1, found {t}"));
    }
    if let Some(n) = request.limits.threads.filter(|n| !(1..=MAX_THREADS).contains(n)) {
        return usage(format!("threads: a whole number from 1 to {MAX_THREADS}, found {n}"));
    }
    if let Some(t) = request.limits.time_limit.filter(|t| t.is_nan() || *t <= 0.0) {
        return usage(format!("time_limit: a number of seconds > 0, found {t}"));
    }
    if let Some(n) = request.refine_gd.filter(|n| !(1..=MAX_REFINE_STEPS).contains(n)) {
        return usage(format!(
            "refine_gd: a number of gradient steps from 1 to {MAX_REFINE_STEPS}, found {n}"
        ));
    }
    for setting in &request.settings {
        match *setting {
            Setting::Seed(s) if s > MAX_SEED => {
                return usage(format!("seed: a whole number from 0 to 2^53 − 1 = {MAX_SEED}, found {s}"))
            }
            Setting::Samples(0) => return usage("samples: at least 1".into()),
            Setting::Noise(x) if !noise_ok(x) => {
                return usage(format!("noise: a finite number ≥ 0, found {x}"))
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;

    const TINY: &str = "network { input 8 conv kernel 4 stride 4 activation relu output ones }
                        data planted { samples 24 seed 1 }";

    fn refused(request: Request) -> String {
        match crate::compile(&request) {
            Err(Error::Usage(message)) => message,
            other => panic!("accepted: {:?}", other.map(|c| c.model.data.n)),
        }
    }

    #[test]
    fn numbers_out_of_range_are_refused_by_name() {
        let base = || Request::new(TINY, "tiny");
        assert!(refused(Request { tolerance: Some(f64::NAN), ..base() }).starts_with("tolerance:"));
        assert!(refused(Request { tolerance: Some(f64::INFINITY), ..base() }).starts_with("tolerance:"));
        let threads = |n| Request { limits: Limits { threads: Some(n), ..Limits::default() }, ..base() };
        assert!(refused(threads(0)).starts_with("threads:"));
        assert!(refused(threads(10_000)).starts_with("threads:"));
        let time = Request { limits: Limits { time_limit: Some(f64::NAN), ..Limits::default() }, ..base() };
        assert!(refused(time).starts_with("time_limit:"));
        assert!(refused(base().with(Setting::Seed(1 << 60))).starts_with("seed:"));
        assert!(refused(base().with(Setting::Samples(0))).starts_with("samples:"));
        assert!(refused(base().with(Setting::Noise(-1.0))).starts_with("noise:"));
        assert!(refused(Request { refine_gd: Some(0), ..base() }).starts_with("refine_gd:"));
        assert!(crate::compile(&base().with(Setting::Seed(MAX_SEED))).is_ok());
    }
}
