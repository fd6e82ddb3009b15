//! Arrays out of cnr: a model's data as NumPy files, and a solve's filters as one.

use crate::compile::{compile_for, Purpose};
use crate::{Compiled, Error, Request};
use ndarray_npy::WriteNpyExt;

/// A model's data as files for other tools: `x.npy` (inputs, `n × C·H·W`, each row a sample
/// flattened channel, row, column), `y.npy` (`n` labels), and when known `w.npy` (the planted
/// filters, `M × d`, or `d` for one filter), `b.npy` (biases, `M`) and the test set
/// `x_test.npy`, `y_test.npy`; and the `data files` block that reads them back.
#[derive(Clone, Debug, PartialEq)]
pub struct DataExport {
    /// Each file's name and bytes, in the order above.
    pub files: Vec<(&'static str, Vec<u8>)>,
    /// The `data files { … }` block that reads them back.
    pub block: String,
}

/// The request's data as NumPy files (nothing of its program is built), with the compiled model.
pub fn export_data(request: &Request) -> Result<(Compiled, DataExport), Error> {
    let compiled = compile_for(request, Purpose::Data)?;
    let model = &compiled.model;
    let data = &model.data;
    let (filters, d) = (model.network.filters, model.network.d());
    let mut files =
        vec![("x.npy", npy(&data.x, &[data.n, data.input_len()])?), ("y.npy", npy(&data.y, &[data.n])?)];
    let mut block = "data files {\n  inputs \"x.npy\"\n  labels \"y.npy\"\n".to_string();
    if let Some(w) = &data.planted {
        let shape: &[usize] = if filters == 1 { &[d] } else { &[filters, d] };
        files.push(("w.npy", npy(w, shape)?));
        block.push_str("  planted \"w.npy\"\n");
    }
    if let Some(b) = &data.planted_bias {
        // No `data files` statement reads biases; they are written for other tools.
        files.push(("b.npy", npy(b, &[b.len()])?));
    }
    if let Some(test) = &data.test {
        files.push(("x_test.npy", npy(&test.x, &[test.n, test.input_len()])?));
        files.push(("y_test.npy", npy(&test.y, &[test.n])?));
        block.push_str("  test inputs \"x_test.npy\"\n  test labels \"y_test.npy\"\n");
    }
    block.push_str("}\n");
    Ok((compiled, DataExport { files, block }))
}

/// `values` as a NumPy array of `shape` (row-major), in the `.npy` format.
pub fn npy(values: &[f64], shape: &[usize]) -> Result<Vec<u8>, Error> {
    let array = ndarray::ArrayViewD::from_shape(ndarray::IxDyn(shape), values)
        .map_err(|e| Error::input(format!("cannot shape {} numbers as {shape:?}: {e}", values.len())))?;
    let mut bytes = Vec::new();
    array.write_npy(&mut bytes).map_err(|e| Error::input(e.to_string()))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exported_data_read_back_as_the_model_drew_them() {
        let text = "network { input 8 conv kernel 4 stride 4 activation relu output ones }
                    data planted { samples 5 seed 2 }";
        let (_, export) = export_data(&Request::new(text, "t")).expect("exports");
        let names: Vec<&str> = export.files.iter().map(|f| f.0).collect();
        assert_eq!(names, ["x.npy", "y.npy", "w.npy"]);
        let x = cnr_check::data::load_array("x.npy", &export.files[0].1).expect("reads");
        assert_eq!(x.shape, [5, 8]);
        assert!(export.block.contains("planted \"w.npy\""), "{}", export.block);
    }
}
