//! `cnr compile`: a model's cone program, or a program file converted, written as the printed IR,
//! JSON or CBF.

use super::{warn, ModelFile};
use crate::cli::{Emit, OverrideArgs};
use crate::io;
use crate::output::{fail, failed, read_text, usage, Failed};
use cnr_driver::{ProgramFormat, Request};
use std::path::Path;

pub fn run(path: &Path, emit: Emit, output: Option<&Path>, overrides: &OverrideArgs) -> Result<(), Failed> {
    // A program file (CBF or JSON) is converted; a model is lowered.
    let (program, model) = match ProgramFormat::of_file_name(&path.to_string_lossy()) {
        Some(_) if overrides.any() => {
            return Err(usage("--samples, --seed and --noise apply to models, not to program files"))
        }
        Some(format) => (read_program(path, format, overrides.max_memory)?.0, None),
        None => {
            let model = ModelFile::read(path)?;
            let request: Request = model.request(overrides);
            let (compiled, program) = cnr_driver::lower(&request).map_err(fail)?;
            warn(&compiled.render_warnings())?;
            (program, Some(model))
        }
    };
    let format = match emit {
        Emit::Ir => ProgramFormat::Ir,
        Emit::Json => ProgramFormat::Json,
        Emit::Cbf => ProgramFormat::Cbf,
    };
    let bytes = cnr_driver::write_program(&program, format).map_err(fail)?;
    let Some(out) = output else {
        use std::io::Write;
        let stdout = std::io::stdout();
        let mut lock = std::io::BufWriter::new(stdout.lock());
        return lock.write_all(&bytes).and_then(|()| lock.flush()).map_err(|e| {
            // A reader that closed standard output (`| head`) wants no more: stop quietly.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Failed(0);
            }
            failed(&format!("cannot write standard output: {}", io::describe_io(&e)))
        });
    };
    match &model {
        Some(model) => model.guard(out)?,
        None if io::same_file(out, path) => {
            return Err(failed(&format!(
                "`{}` is the program being converted; writing there would destroy it",
                out.display()
            )))
        }
        None => {}
    }
    crate::output::write_file(out, &bytes)
}

/// Reads a cone program from a CBF or JSON file, with the seconds reading took.
pub fn read_program(
    path: &Path,
    format: ProgramFormat,
    max_memory: Option<u64>,
) -> Result<(cnr_driver::ConeProgram, f64), Failed> {
    let text = read_text(path)?;
    let name = path.file_stem().map_or("program".to_string(), |s| s.to_string_lossy().into_owned());
    cnr_driver::read_program(&text, format, &path.display().to_string(), &name, max_memory).map_err(fail)
}
