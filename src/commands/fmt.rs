//! `cnr fmt`: models rewritten in canonical form, or reported when they are not in it.

use crate::io;
use crate::output::{err, fail, failed, read_text, Failed};
use std::path::PathBuf;

pub fn run(files: &[PathBuf], check_only: bool) -> Result<(), Failed> {
    let mut any_failed = false;
    for path in files {
        let name = path.display().to_string();
        let formatted = read_text(path).and_then(|text| {
            let formatted = cnr_driver::format(&text, &name).map_err(fail)?;
            Ok((text, formatted))
        });
        let Ok((text, formatted)) = formatted else {
            any_failed = true;
            continue;
        };
        if formatted == text {
            continue;
        }
        if check_only {
            err(&format!("{name} is not in canonical form (run `cnr fmt {name}`)\n"));
            any_failed = true;
        } else if let Err(e) = io::write_atomic(path, |w| w.write_all(formatted.as_bytes())) {
            failed(&format!("cannot write `{name}`: {}", io::describe_io(&e)));
            any_failed = true;
        }
    }
    if any_failed {
        Err(Failed(1))
    } else {
        Ok(())
    }
}
