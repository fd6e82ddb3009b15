//! Models of real data: a held-out test set beside the training files.

use cnr_check::data::MemoryFiles;
use cnr_driver::{Arrays, Error, Request, Status};
use ndarray::{Array1, Array2};

/// `f(x) = relu(w·x[0..4]) + relu(w·x[4..8])`: the network of [`MODEL`], written out by hand.
fn by_hand(w: &[f64], x: &[f64]) -> f64 {
    x.chunks(4).map(|patch| patch.iter().zip(w).map(|(a, b)| a * b).sum::<f64>().max(0.0)).sum()
}

const MODEL: &str = "network { input 8 conv kernel 4 stride 4 activation relu output ones }
data files {
  inputs \"x.csv\"
  labels \"y.csv\"
  test inputs \"xt.csv\"
  test labels \"yt.csv\"
}
";

/// Rows of numbers as CSV text.
fn csv(rows: &[Vec<f64>]) -> Vec<u8> {
    rows.iter()
        .map(|r| r.iter().map(|v| format!("{v:e}")).collect::<Vec<_>>().join(",") + "\n")
        .collect::<String>()
        .into_bytes()
}

/// `count` inputs of 8 numbers from a small deterministic sequence, and labels of a planted filter
/// plus a perturbation, so that the fit is not exact and the test loss is not zero.
fn samples(count: usize, offset: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
    let planted = [1.0, -0.5, 0.25, 0.75];
    let x: Vec<Vec<f64>> = (0..count)
        .map(|i| (0..8).map(|j| (((i + offset) * 7 + j * 3) % 11) as f64 / 5.0 - 1.0).collect())
        .collect();
    let y = x.iter().enumerate().map(|(i, x)| by_hand(&planted, x) + 0.05 * (i % 3) as f64).collect();
    (x, y)
}

fn files() -> MemoryFiles {
    let (x, y) = samples(40, 0);
    let (xt, yt) = samples(15, 1000);
    let column = |v: &[f64]| v.iter().map(|&a| vec![a]).collect::<Vec<_>>();
    MemoryFiles(
        [
            ("x.csv", csv(&x)),
            ("y.csv", csv(&column(&y))),
            ("xt.csv", csv(&xt)),
            ("yt.csv", csv(&column(&yt))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    )
}

#[test]
fn the_test_loss_is_the_mean_squared_error_on_the_test_files_computed_by_hand() {
    let files = files();
    let solved = cnr_driver::solve(&Request::new(MODEL, "m").with_files(&files)).expect("solves");
    let r = &solved.record;
    assert_eq!(r.status, Status::Optimal);
    let w = r.w.as_ref().expect("a point").flat();
    let (xt, yt) = samples(15, 1000);
    let direct = xt.iter().zip(&yt).map(|(x, y)| (by_hand(&w, x) - y).powi(2)).sum::<f64>() / 15.0;
    let test_loss = r.test_loss.expect("a test loss");
    assert!(direct > 1e-4, "the test set is fitted exactly ({direct}): the test could not fail");
    assert!((test_loss - direct).abs() <= 1e-12 * direct.max(1.0), "{test_loss} vs {direct}");
    // The training loss is the other files' (and `--samples` does not cut the test set).
    let (x, y) = samples(40, 0);
    let train = x.iter().zip(&y).map(|(x, y)| (by_hand(&w, x) - y).powi(2)).sum::<f64>() / 40.0;
    assert!((r.training_loss.expect("a loss") - train).abs() <= 1e-12 * train.max(1.0));
    // `eval` reports the same test loss for the same filters.
    let evaluated = cnr_driver::evaluate(&Request::new(MODEL, "m").with_files(&files), (&w, "w"), None)
        .expect("evaluates");
    assert_eq!(evaluated.1.test_loss, Some(test_loss));

    // Arrays given in memory carry a test set the same way.
    let flat = |rows: &[Vec<f64>]| Array2::from_shape_vec((rows.len(), 8), rows.concat()).expect("shape");
    let (xa, xta) = (flat(&x), flat(&xt));
    let (ya, yta) = (Array1::from(y.clone()), Array1::from(yt.clone()));
    let arrays = Arrays {
        inputs: xa.view(),
        labels: ya.view(),
        planted: None,
        planted_bias: None,
        test: Some((xta.view(), yta.view())),
    };
    let network = "network { input 8 conv kernel 4 stride 4 activation relu output ones }";
    let given = cnr_driver::evaluate(&Request::new(network, "a").with_arrays(arrays), (&w, "w"), None)
        .expect("evaluates");
    assert_eq!(given.1.test_loss, Some(test_loss));
}

#[test]
fn a_test_set_needs_both_files_of_the_right_shape() {
    let files = files();
    let only_inputs = MODEL.replace("  test labels \"yt.csv\"\n", "");
    let Err(Error::Model(e)) = cnr_driver::compile(&Request::new(&only_inputs, "m").with_files(&files))
    else {
        panic!("test inputs without labels is an error")
    };
    let shown = e.render();
    assert!(shown.contains("a test set needs its labels too"), "{shown}");
    assert!(shown.contains("test inputs \"xt.csv\""), "{shown}");
    // Test inputs of another width than the network's.
    let mut wrong = files.clone();
    wrong.0.insert("xt.csv".into(), csv(&vec![vec![0.0; 7]; 15]));
    let Err(Error::Model(e)) = cnr_driver::compile(&Request::new(MODEL, "m").with_files(&wrong)) else {
        panic!("a wrong shape is an error")
    };
    let shown = e.render();
    assert!(shown.contains("the inputs in `xt.csv` have shape [15, 7]"), "{shown}");
    // `--set data.test=…` replaces one of the two statements, checked as if written in the model.
    let labels = cnr_driver::Setting::Statement { key: "data.test".into(), value: "labels \"y.csv\"".into() };
    let Err(Error::Model(e)) = cnr_driver::compile(&Request::new(MODEL, "m").with_files(&files).with(labels))
    else {
        panic!("40 test labels for 15 test inputs is an error")
    };
    assert!(e.render().contains("`y.csv` has 40 labels but `xt.csv` has 15 inputs"), "{}", e.render());
    // Counts that differ.
    let mut short = files;
    short.0.insert("yt.csv".into(), csv(&vec![vec![0.0]; 14]));
    let Err(Error::Model(e)) = cnr_driver::compile(&Request::new(MODEL, "m").with_files(&short)) else {
        panic!("counts that differ are an error")
    };
    assert!(e.render().contains("`yt.csv` has 14 labels but `xt.csv` has 15 inputs"), "{}", e.render());
}
