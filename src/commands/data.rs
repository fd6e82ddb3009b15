//! `cnr data`: a model's samples as NumPy files, and the `data files` block that reads them back.

use super::{warn, ModelFile};
use crate::cli::OverrideArgs;
use crate::io;
use crate::output::{fail, failed, out, write_file, Failed};
use std::path::Path;

pub fn run(path: &Path, dir: &Path, overrides: &OverrideArgs) -> Result<(), Failed> {
    let model = ModelFile::read(path)?;
    let (compiled, export) = cnr_driver::export_data(&model.request(overrides)).map_err(fail)?;
    warn(&compiled.render_warnings())?;
    crate::io::folder::create_dir_all(dir).map_err(|e| {
        failed(&format!("cannot create the folder `{}`: {}", dir.display(), io::describe_write(dir, &e)))
    })?;
    for (name, _) in &export.files {
        model.guard(&dir.join(name))?;
    }
    for (name, bytes) in &export.files {
        write_file(&dir.join(name), bytes)?;
    }
    let names: Vec<&str> = export.files.iter().map(|(name, _)| *name).collect();
    out(&block_from_here(&export.block, &names, dir))
}

/// The driver's block names the files as they are in `dir` (`"x.npy"`), which only a model saved
/// in `dir` reads: a model's paths are relative to its own folder. So the block is printed with
/// the paths from where the command ran (`"DIR/x.npy"`), and a relative `DIR` is said to be so. A
/// folder whose name a model's string cannot hold (a `"`, a line break, not UTF-8) keeps the
/// names, and a comment says where they are.
fn block_from_here(block: &str, names: &[&str], dir: &Path) -> String {
    if dir.as_os_str().is_empty() || dir == Path::new(".") {
        return block.to_string();
    }
    let joined: Option<Vec<(String, String)>> = names
        .iter()
        .map(|name| {
            let path = dir.join(name).to_str()?.to_string();
            (!path.contains(['"', '\n', '\r'])).then(|| (format!("\"{name}\""), format!("\"{path}\"")))
        })
        .collect();
    let Some(joined) = joined else {
        return format!("# for a model saved in `{}`, where the files are\n{block}", dir.display());
    };
    let block = joined.iter().fold(block.to_string(), |b, (from, to)| b.replace(from, to));
    if dir.is_absolute() {
        block
    } else {
        format!(
            "# for a model saved in the current folder (a model's paths are relative to its folder)\n{block}"
        )
    }
}
