//! Whether lowering's coefficients stay finite: the activation's cone form multiplies every input
//! by the factors of its expression, and the sample rows multiply the activation's bound by the
//! output weights, so large parameters and large data can overflow together although each is
//! finite. The check replays the template on the largest input (both signs) and on the bias's 1,
//! without lowering, so that the overflow is reported at its source before any program is built.

use crate::activations;
use crate::emit::Template;
use cnr_check::Model;

/// What overflows, and the largest input magnitude it overflows with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CoefficientOverflow {
    /// A row of the activation's cone form: the activation's factors times the inputs.
    Activation {
        /// The largest `|x|` of the data.
        largest_input: f64,
    },
    /// A sample row: the output weights times the activation's bound.
    Output {
        /// The largest `|x|` of the data.
        largest_input: f64,
        /// The largest `|u|`.
        largest_weight: f64,
    },
}

/// `Err` when some coefficient or constant lowering would write is not finite.
pub fn check_coefficients(model: &Model) -> Result<(), CoefficientOverflow> {
    let template = activations::template(&model.activation.expr);
    let largest_input = cnr_numerics::max_abs(&model.data.x);
    let largest_weight = model.output.iter().fold(0.0f64, |m, u| m.max(u.abs()));
    // The values a `z` coefficient can take at its extremes, and the bias's coefficient.
    let z = [(0, largest_input), (1, -largest_input), (2, 1.0)];
    if rows_overflow(&template, &z) {
        return Err(CoefficientOverflow::Activation { largest_input });
    }
    let mut t = crate::emit::Lin::default();
    template.t_into(&z, 3, &mut t);
    let weighted = t.terms.iter().map(|&(_, v)| v).chain([t.constant]);
    let finite =
        weighted.into_iter().all(|v| (largest_weight * v).is_finite() && (-largest_weight * v).is_finite());
    if !finite {
        return Err(CoefficientOverflow::Output { largest_input, largest_weight });
    }
    Ok(())
}

/// Whether a row of the template, stamped with the `z` terms `z`, holds a number that is not
/// finite.
fn rows_overflow(template: &Template, z: &[(usize, f64)]) -> bool {
    let first = z.len();
    template.groups.iter().flat_map(|(rows, _)| rows).any(|row| {
        let mut finite = row.constant().is_finite();
        row.stamp(z, first, |_, v| finite &= v.is_finite());
        !finite
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(activation: &str, x: &str, output: &str) -> Model {
        let text = format!(
            "network {{ input 4 conv kernel 2 stride 2 activation {activation} output {output} }}
             data files {{ inputs \"x.csv\" labels \"y.csv\" }}"
        );
        let file = cnr_syntax::parse(&text).unwrap();
        let mut files = cnr_check::MemoryFiles::default();
        files.0.insert("x.csv".into(), x.as_bytes().to_vec());
        files.0.insert("y.csv".into(), b"1\n2\n".to_vec());
        cnr_check::check(&file, "m", &files, &Default::default()).unwrap()
    }

    #[test]
    fn large_factors_on_large_inputs_overflow_at_the_activation() {
        let m = model("f(z) = relu(1e200 * (1e200 * z))", "1,2,3,4\n5,6,7,8\n", "ones");
        assert!(matches!(check_coefficients(&m), Err(CoefficientOverflow::Activation { .. })));
        // What the check refuses, lowering would have written as an invalid program.
        assert!(crate::lower(&m).validate().is_err());
        let m = model("f(z) = relu(1e300 * z)", "1,2,3,4\n5,6,7,8\n", "ones");
        assert_eq!(check_coefficients(&m), Ok(()));
        let m = model("f(z) = relu(1e300 * z)", "1,2,3,4\n5,6,7,1e10\n", "ones");
        assert!(matches!(check_coefficients(&m), Err(CoefficientOverflow::Activation { .. })));
    }

    #[test]
    fn large_output_weights_on_a_large_bound_overflow_at_the_output() {
        let m = model("f(z) = 1e200 * relu(z)", "1,2,3,4\n5,6,7,8\n", "1e200");
        assert!(matches!(check_coefficients(&m), Err(CoefficientOverflow::Output { .. })));
        assert!(crate::lower(&m).validate().is_err());
        let m = model("f(z) = 1e200 * relu(z)", "1,2,3,4\n5,6,7,8\n", "1e100");
        assert_eq!(check_coefficients(&m), Ok(()));
    }

    /// What the check accepts, lowering writes as finite numbers.
    #[test]
    fn an_accepted_model_lowers_to_finite_numbers() {
        let m = model("f(z) = relu(1e300 * z)", "1,2,3,4\n5,6,7,8\n", "ones");
        let p = crate::lower(&m);
        assert!(p.validate().is_ok());
    }
}
