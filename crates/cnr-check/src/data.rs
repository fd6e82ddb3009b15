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
    /// Given as arrays by the program that called cnr (in place of the model's `data` block).
    Arrays,
}

/// Data handed to the checker in memory, in place of the model's `data` block: inputs `n × C·H·W`
/// (or `n × C × H × W`), `n` labels and, when known, the planted filters (`M·d`) and biases (`M`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GivenData {
    /// The inputs.
    pub inputs: Array,
    /// The labels.
    pub labels: Array,
    /// The planted filters, filter after filter.
    pub planted: Option<Array>,
    /// The planted biases.
    pub planted_bias: Option<Vec<f64>>,
    /// A held-out test set: its inputs and labels, shaped as `inputs` and `labels` are.
    pub test: Option<(Array, Array)>,
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
    /// For data from files or arrays: the seed of `--seed`, whose shuffle put the samples in a
    /// random order before `--samples` took the first ones.
    pub shuffled: Option<u64>,
    /// The held-out test set (`test inputs` and `test labels`), never seen by the relaxation: only
    /// its loss is reported.
    pub test: Option<Box<Data>>,
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
        Data { n: y.len(), x, y, planted, planted_bias: None, source, shuffled: None, test: None, input_len }
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
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Array {
    /// The shape (`[n]` for a vector, `[n, L]` for a matrix, …).
    pub shape: Vec<usize>,
    /// The numbers.
    pub values: Vec<f64>,
}

/// Reads a `.npy` file (any float or integer dtype) or a CSV file (numbers separated by commas or
/// whitespace, one row a line, `#` comments and one optional header line of names). The format is
/// chosen by the file's extension.
pub fn load_array(path: &str, bytes: &[u8]) -> Result<Array, ArrayError> {
    read_array(path, bytes).map_err(ArrayError)
}

/// Why an array file does not read: what is wrong, with the line, row or field where it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ArrayError(pub String);

/// A data file as the model read it: its path as written, its size and a hash of its content, so
/// that a result made from it can tell when the file has changed since.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataFile {
    /// The path, as the model writes it.
    pub path: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// FNV-1a (64 bits) of its content, in hexadecimal ([`fnv1a`]).
    pub hash: String,
}

/// FNV-1a (64 bits) of `bytes`, in hexadecimal: a small, fixed hash that tells texts and files
/// apart (not a security measure).
pub fn fnv1a(bytes: &[u8]) -> String {
    let hash = bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

/// [`load_array`], its errors in words.
fn read_array(path: &str, bytes: &[u8]) -> Result<Array, String> {
    let array = if path.to_ascii_lowercase().ends_with(".npy") { load_npy(bytes)? } else { load_csv(bytes)? };
    finite_values(&array, None)?;
    Ok(array)
}

/// The one rule for the numbers of data, read from a file or handed over as an array: at least
/// one, and every one finite. `array` names an array in memory (`the \`inputs\` array`); a file's
/// errors are said of the file, which its caller names.
pub(crate) fn finite_values(values: &Array, array: Option<&str>) -> Result<(), String> {
    if values.values.is_empty() {
        return Err(format!("{} holds no numbers", array.unwrap_or("the file")));
    }
    if let Some(k) = values.values.iter().position(|v| !v.is_finite()) {
        let at = unravel(k, &values.shape);
        let of = array.map_or(String::new(), |a| format!(" of {a}"));
        return Err(format!("entry {at}{of} is {}; data must be finite numbers", values.values[k]));
    }
    Ok(())
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

/// What a `.npy` header says, once checked against the file.
struct NpyHeader {
    /// Little-endian float64 in row-major order: the layout read without a library.
    plain_f64: bool,
    shape: Vec<usize>,
    /// Where the data start.
    data: usize,
}

/// Checks a `.npy` header against the file before anything is read: the header must fit in the
/// file, and the data its shape and dtype declare must be exactly the bytes that follow. A file
/// that claims a billion rows in 128 bytes is refused here, instead of allocating what it claims.
fn check_npy_header(bytes: &[u8]) -> Result<NpyHeader, String> {
    let bad = |what: &str| Err(format!("not a readable .npy file: {what}; save it with numpy.save"));
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return bad("it does not start with the .npy magic string");
    }
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10usize),
        2 | 3 if bytes.len() >= 12 => {
            (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
        }
        _ => return bad("an unknown format version"),
    };
    let Some(header) = bytes.get(start..start.saturating_add(header_len)) else {
        return bad(&format!("the header declares {header_len} bytes, more than the file holds"));
    };
    let header = String::from_utf8_lossy(header);
    let field = |key: &str| header.split(&format!("'{key}':")).nth(1).map(str::trim_start);
    let Some(descr) = field("descr").and_then(|d| d.strip_prefix('\'')).and_then(|d| d.split('\'').next())
    else {
        return bad("the header has no dtype");
    };
    let item = match descr.trim_start_matches(['<', '>', '|', '=']) {
        "f8" | "i8" | "u8" => 8,
        "f4" | "i4" | "u4" => 4,
        "i2" | "u2" | "f2" => 2,
        "i1" | "u1" | "b1" => 1,
        other => {
            return Err(format!(
                "the .npy dtype `{other}` is not a number type cnr reads; save the array as float64"
            ))
        }
    };
    let Some(shape) = field("shape").and_then(|s| s.strip_prefix('(')).and_then(|s| s.split(')').next())
    else {
        return bad("the header has no shape");
    };
    let mut count: u128 = 1;
    let mut sizes = Vec::new();
    for dim in shape.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let Ok(n) = dim.parse::<u128>() else {
            return bad(&format!("the shape entry `{dim}` is not a size"));
        };
        count = count.saturating_mul(n);
        sizes.push(usize::try_from(n).unwrap_or(usize::MAX));
    }
    let data = (bytes.len() - start - header_len) as u128;
    if count.saturating_mul(item) != data {
        return Err(format!(
            "the .npy header declares shape ({shape}) of {descr}, {} bytes of data, but the file holds {data}",
            count.saturating_mul(item)
        ));
    }
    let fortran = field("fortran_order").is_none_or(|f| !f.starts_with("False"));
    let little = descr.starts_with('<') || (descr.starts_with('=') && cfg!(target_endian = "little"));
    Ok(NpyHeader {
        plain_f64: !fortran && little && descr.ends_with("f8"),
        shape: sizes,
        data: start + header_len,
    })
}

fn load_npy(bytes: &[u8]) -> Result<Array, String> {
    let header = check_npy_header(bytes)?;
    if header.plain_f64 {
        // The common case, read in one pass at memory speed (the header said how many bytes).
        let data = &bytes[header.data..];
        let mut values = crate::memory::with_capacity(data.len() / 8);
        values.extend(data.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))));
        return Ok(Array { shape: header.shape, values });
    }
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
    // Excel's "CSV UTF-8" starts with a byte-order mark, which is no part of the first field.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
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
            // A header is a first line of names only: one with some numbers is a row with a typo.
            Err(_) if rows.is_empty() && !header_seen && fields.iter().all(|f| f.parse::<f64>().is_err()) => {
                header_seen = true
            }
            Err(_) => {
                let bad = fields.iter().find(|f| f.parse::<f64>().is_err()).copied().unwrap_or("");
                // A control character (a NUL, a tab inside a field) is shown escaped: a terminal
                // would show it as a space, or not at all.
                let shown: String = bad
                    .chars()
                    .flat_map(
                        |c| if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] },
                    )
                    .collect();
                return Err(format!("line {}: `{shown}` is not a number", lineno + 1));
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
    fn csv_byte_order_marks_and_headers() {
        // A byte-order mark before a header or a number is skipped.
        assert_eq!(
            load_array("y.csv", "\u{feff}a,b\n1,2\n".as_bytes()).expect("reads").values,
            vec![1.0, 2.0]
        );
        assert_eq!(load_array("y.csv", "\u{feff}1\n2\n".as_bytes()).expect("reads").values, vec![1.0, 2.0]);
        // A first row with a typo is not taken for a header.
        let typo = load_array("y.csv", b"1,2,x\n3,4,5\n").unwrap_err();
        assert!(typo.0.contains("line 1") && typo.0.contains("`x`"), "{typo}");
    }

    #[test]
    fn csv_errors_name_the_line() {
        assert!(load_array("y.csv", b"1\n2\nx\n").unwrap_err().0.contains("line 3"));
        assert!(load_array("y.csv", b"1,2\n3\n").unwrap_err().0.contains("row 2"));
        assert!(load_array("y.csv", b"1\nNaN\n").unwrap_err().0.contains("NaN"));
        assert!(load_array("y.csv", b"").unwrap_err().0.contains("no numbers"));
        assert!(load_array("y.csv", b"1,,2\n").unwrap_err().0.contains("empty field"));
        assert_eq!(load_array("y.csv", b"1\n2\0\n").unwrap_err().0, "line 2: `2\\u{0}` is not a number");
    }

    /// A version-1 `.npy` file with the given header text and data bytes.
    fn npy(header: &str, data: &[u8]) -> Vec<u8> {
        let header = format!("{header}\n");
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend((header.len() as u16).to_le_bytes());
        out.extend(header.as_bytes());
        out.extend(data);
        out
    }

    #[test]
    fn npy_headers_are_checked_against_the_file_before_reading() {
        let ok = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", &[0; 16]);
        assert_eq!(load_array("x.npy", &ok).expect("reads").shape, vec![2]);
        // A shape far beyond the file: refused without allocating it.
        let huge = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000, 24), }", &[0; 16]);
        assert!(
            load_array("x.npy", &huge).unwrap_err().0.contains("declares shape"),
            "{:?}",
            load_array("x.npy", &huge)
        );
        // A version-2 header length far beyond the file.
        let mut v2 = b"\x93NUMPY\x02\x00".to_vec();
        v2.extend(0xFFFF_FFF0u32.to_le_bytes());
        v2.extend([0u8; 100]);
        assert!(load_array("x.npy", &v2).unwrap_err().0.contains("more than the file holds"));
        let text = npy("{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", &[0; 24]);
        assert!(load_array("x.npy", &text).unwrap_err().0.contains("not a number type"));
    }

    #[test]
    fn npy_float64_read_directly_equals_the_library_read_in_every_layout() {
        use ndarray::{Array2, ShapeBuilder};
        use ndarray_npy::WriteNpyExt;
        let values: Vec<f64> = (0..12).map(|i| f64::from(i) * 0.5 - 2.25).collect();
        let c_order = Array2::from_shape_vec((3, 4), values.clone()).expect("shape");
        let f_order = Array2::from_shape_vec((3, 4).f(), values.clone()).expect("shape");
        for (array, direct) in [(&c_order, true), (&f_order, false)] {
            let mut bytes = Vec::new();
            array.write_npy(&mut bytes).expect("writes");
            assert_eq!(check_npy_header(&bytes).expect("a good header").plain_f64, direct);
            let read = load_array("x.npy", &bytes).expect("reads");
            assert_eq!(read.shape, vec![3, 4]);
            // Row-major order, whatever the file's layout.
            assert_eq!(read.values, array.iter().copied().collect::<Vec<_>>());
        }
        // Big-endian float64 goes through the library, which converts it.
        let big: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
        let file = npy("{'descr': '>f8', 'fortran_order': False, 'shape': (12,), }", &big);
        assert!(!check_npy_header(&file).expect("a good header").plain_f64);
        assert_eq!(load_array("x.npy", &file).expect("reads").values, values);
    }

    #[test]
    fn generator_is_reproducible() {
        let a = normals(&mut generator(7), 5);
        let b = normals(&mut generator(7), 5);
        assert_eq!(a, b);
        assert_ne!(a, normals(&mut generator(8), 5));
    }
}
