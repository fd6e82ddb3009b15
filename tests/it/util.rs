//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The project's root folder (where `examples/` and `tests/` live).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the built `cnr` binary with `args` in the project's root, with a clean environment.
pub fn cnr(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cnr"))
        .args(args)
        .current_dir(root())
        .env_clear()
        .output()
        .expect("the cnr binary runs")
}

/// The `.cnr` files of a folder, sorted by name, as paths relative to the project's root.
pub fn models_in(dir: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join(dir))
        .expect("folder exists")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "cnr"))
        .map(|p| format!("{dir}/{}", p.file_name().expect("file name").to_string_lossy()))
        .collect();
    files.sort();
    files
}

/// The stem of a path: `examples/paper_relu.cnr` → `paper_relu`.
pub fn stem(path: &str) -> String {
    Path::new(path).file_stem().expect("a file stem").to_string_lossy().into_owned()
}

/// Text of an output stream.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Data files relative to the `examples/` folder, as the command line reads them for an example.
pub struct ExampleFiles;

impl cnr_driver::Files for ExampleFiles {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        std::fs::read(root().join("examples").join(path)).map_err(|e| e.to_string())
    }
}

/// Data files relative to a folder, as the command line reads them for a model in that folder.
pub struct FilesBeside(pub PathBuf);

impl cnr_driver::Files for FilesBeside {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        std::fs::read(self.0.join(path)).map_err(|e| e.to_string())
    }
}

/// Compiles an example (a path relative to the project's root) through the driver, as `cnr` does,
/// with `samples` samples when given.
pub fn compile_example(path: &str, samples: Option<u64>) -> cnr_driver::Compiled {
    let full = root().join(path);
    let text = std::fs::read_to_string(&full).expect("the example exists");
    let files = FilesBeside(full.parent().expect("a folder").to_path_buf());
    let name = stem(path);
    let mut request = cnr_driver::Request::new(&text, &name).with_files(&files);
    request.settings.extend(samples.map(cnr_driver::Setting::Samples));
    cnr_driver::compile(&request).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Solves a model's text (planted data, or data files in `files`) with `method` and the default
/// settings.
pub fn solve_text(
    text: &str,
    files: &(dyn cnr_driver::Files + Sync),
    method: cnr_driver::MethodChoice,
) -> cnr_driver::SolveRecord {
    let mut request = cnr_driver::Request::new(text, "model").with_files(files);
    request.method = method;
    cnr_driver::solve(&request).unwrap_or_else(|e| panic!("{e}")).record
}

/// The whole program of a compiled model, with its layout.
pub fn lower_all(compiled: &cnr_driver::Compiled) -> cnr_lower::Lowered {
    let model = &compiled.model;
    cnr_lower::lower_with(model, &cnr_lower::anchor(model), &cnr_lower::Request::default())
}

/// A 64-bit linear congruential generator: the same random cases on every platform.
pub struct Lcg(pub u64);

impl Lcg {
    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }

    /// One of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// An activation of every class, for random models: piecewise-linear, second-order, exponential,
/// power, and a user's maximum of affine pieces.
pub const ACTIVATIONS: &[&str] = &[
    "relu",
    "leaky_relu(0.3)",
    "abs",
    "square",
    "softplus",
    "squared_relu",
    "elu(0.5)",
    "huber(1)",
    "power(1.5)",
    "f(z) = max(0.2*z, z, 2*z - 1)",
];
