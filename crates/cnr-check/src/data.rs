//! Samples: the planted Gaussian model and the loaders for `.npy` and CSV files.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::collections::HashMap;

/// Where the checker gets data files from. The command line reads them relative to the model file;
/// tests serve them from memory.
pub trait Files {
    /// The bytes of the file at `path` (as written in the model), or a message saying why not.
    fn read(&self, path: &str) -> Result<Vec<u8>, String>;
}

/// Files held in memory, for tests and for models without data files.
#[derive(Clone, Debug, Default)]
pub struct MemoryFiles(pub HashMap<String, Vec<u8>>);

impl Files for MemoryFiles {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        self.0.get(path).cloned().ok_or_else(|| "no such file".to_string())
    }
}

/// How the samples came about.
#[derive(Clone, Debug, PartialEq)]
pub enum DataSource {
    /// Drawn from the planted Gaussian model.
    Planted {
        /// The seed of the ChaCha8 generator.
        seed: u64,
        /// The standard deviation of the label noise.
        noise: f64,
    },
    /// Read from files.
    Files,
}

/// The samples: `n` inputs of `C·H·W` numbers, `n` labels and, when known, the planted filters.
#[derive(Clone, Debug, PartialEq)]
pub struct Data {
    /// Number of samples.
    pub n: usize,
    /// Inputs, sample-major: sample `i` is `x[i·L .. (i+1)·L]` with `L = C·H·W` (row-major).
    pub x: Vec<f64>,
    /// Labels `y_i`.
    pub y: Vec<f64>,
    /// The planted filters `w*` (`M·d`, filter-major), when known.
    pub planted: Option<Vec<f64>>,
    /// The planted biases, when the network has biases and the data are planted.
    pub planted_bias: Option<Vec<f64>>,
    /// Where the data came from.
    pub source: DataSource,
    input_len: usize,
}

impl Data {
    /// Assembles data from parts; `x` must hold `n · input_len` numbers.
    pub fn new(
        x: Vec<f64>,
        y: Vec<f64>,
        input_len: usize,
        planted: Option<Vec<f64>>,
        source: DataSource,
    ) -> Self {
        Data { n: y.len(), x, y, planted, planted_bias: None, source, input_len }
    }

    /// The input of sample `i`.
    pub fn sample(&self, i: usize) -> &[f64] {
        &self.x[i * self.input_len..(i + 1) * self.input_len]
    }

    /// The length of one input, `C·H·W`.
    pub fn input_len(&self) -> usize {
        self.input_len
    }
}

/// A ChaCha8 generator seeded from `seed`; the same seed gives the same numbers on every platform.
pub fn generator(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// Draws `count` standard normal numbers.
pub fn normals(rng: &mut ChaCha8Rng, count: usize) -> Vec<f64> {
    (0..count).map(|_| rng.sample::<f64, _>(StandardNormal)).collect()
}

/// Fills `out` with standard normal numbers, drawn in order (the same numbers as [`normals`]).
pub fn fill_normals(rng: &mut ChaCha8Rng, out: &mut [f64]) {
    out.iter_mut().for_each(|v| *v = rng.sample::<f64, _>(StandardNormal));
}

/// Draws one standard normal number.
pub fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample::<f64, _>(StandardNormal)
}

/// Draws `count` numbers uniform on `[0, 1)`.
pub fn uniforms(rng: &mut ChaCha8Rng, count: usize) -> Vec<f64> {
    (0..count).map(|_| rng.random::<f64>()).collect()
}

/// A numeric array read from a file: its shape and its numbers in row-major order.
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    /// The shape (`[n]` for a vector, `[n, L]` for a matrix, …).
    pub shape: Vec<usize>,
    /// The numbers.
    pub values: Vec<f64>,
}

/// Reads a `.npy` file (any float or integer dtype) or a CSV file (numbers separated by commas or
/// whitespace, one row a line, `#` comments and one optional header line of names). The format is
/// chosen by the file's extension.
pub fn load_array(path: &str, bytes: &[u8]) -> Result<Array, String> {
    let array = if path.to_ascii_lowercase().ends_with(".npy") { load_npy(bytes)? } else { load_csv(bytes)? };
    if array.values.is_empty() {
        return Err("the file holds no numbers".into());
    }
    if let Some(k) = array.values.iter().position(|v| !v.is_finite()) {
        let at = unravel(k, &array.shape);
        return Err(format!("entry {at} is {}; data must be finite numbers", array.values[k]));
    }
    Ok(array)
}

fn unravel(mut k: usize, shape: &[usize]) -> String {
    let mut idx = vec![0; shape.len()];
    for (d, &s) in shape.iter().enumerate().rev() {
        idx[d] = k % s.max(1);
        k /= s.max(1);
    }
    let parts: Vec<String> = idx.iter().map(usize::to_string).collect();
    format!("[{}]", parts.join(", "))
}

fn load_npy(bytes: &[u8]) -> Result<Array, String> {
    use ndarray::ArrayD;
    use ndarray_npy::ReadNpyExt;
    fn read<T: ndarray_npy::ReadableElement + Copy>(
        bytes: &[u8],
        to_f64: fn(T) -> f64,
    ) -> Result<Array, String> {
        let a = ArrayD::<T>::read_npy(bytes).map_err(|e| e.to_string())?;
        let shape = a.shape().to_vec();
        // `iter` walks in logical (row-major) order whatever the file's memory order.
        Ok(Array { shape, values: a.iter().map(|&v| to_f64(v)).collect() })
    }
    let mut first_error = None;
    macro_rules! attempt {
        ($t:ty) => {
            match read::<$t>(bytes, |v| v as f64) {
                Ok(a) => return Ok(a),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        };
    }
    attempt!(f64);
    attempt!(f32);
    attempt!(i64);
    attempt!(i32);
    attempt!(u8);
    Err(format!(
        "not a readable .npy array of numbers ({}); save it with numpy.save as float64",
        first_error.unwrap_or_default()
    ))
}

fn load_csv(bytes: &[u8]) -> Result<Array, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text ({e}); is it a .npy file?"))?;
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let mut header_seen = false;
    for (lineno, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // Commas separate fields when there are any (an empty field is an error, not skipped);
        // otherwise runs of whitespace do.
        let fields: Vec<&str> = if line.contains(',') {
            line.split(',').map(str::trim).collect()
        } else {
            line.split_whitespace().collect()
        };
        if fields.iter().any(|f| f.is_empty()) {
            return Err(format!("line {}: an empty field between commas", lineno + 1));
        }
        let parsed: Result<Vec<f64>, _> = fields.iter().map(|f| f.parse::<f64>()).collect();
        match parsed {
            Ok(r) => rows.push(r),
            Err(_) if rows.is_empty() && !header_seen => header_seen = true,
            Err(_) => {
                let bad = fields.iter().find(|f| f.parse::<f64>().is_err()).copied().unwrap_or("");
                return Err(format!("line {}: `{bad}` is not a number", lineno + 1));
            }
        }
    }
    let width = rows.first().map_or(0, Vec::len);
    if let Some(k) = rows.iter().position(|r| r.len() != width) {
        return Err(format!("row {} has {} numbers, the first row has {width}", k + 1, rows[k].len()));
    }
    let shape = if width == 1 { vec![rows.len()] } else { vec![rows.len(), width] };
    Ok(Array { shape, values: rows.into_iter().flatten().collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_header_and_comments() {
        let a = load_array("y.csv", b"# labels\na,b\n1, 2\n3 4\n").unwrap();
        assert_eq!(a.shape, vec![2, 2]);
        assert_eq!(a.values, vec![1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn csv_errors_name_the_line() {
        assert!(load_array("y.csv", b"1\n2\nx\n").unwrap_err().contains("line 3"));
        assert!(load_array("y.csv", b"1,2\n3\n").unwrap_err().contains("row 2"));
        assert!(load_array("y.csv", b"1\nNaN\n").unwrap_err().contains("NaN"));
        assert!(load_array("y.csv", b"").unwrap_err().contains("no numbers"));
        assert!(load_array("y.csv", b"1,,2\n").unwrap_err().contains("empty field"));
    }

    #[test]
    fn generator_is_reproducible() {
        let a = normals(&mut generator(7), 5);
        let b = normals(&mut generator(7), 5);
        assert_eq!(a, b);
        assert_ne!(a, normals(&mut generator(8), 5));
    }
}
