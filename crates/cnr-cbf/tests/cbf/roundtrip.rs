//! Write → read round trips on hand-built programs of every cone kind.

use cnr_cbf::read_cbf;
use cnr_ir::{Cone, ConeProgram, Sense};

use crate::common::{random_program, write_string};

/// The cones as the format gives them back: a 1-dimensional second-order cone is written as `L+ 1`
/// (CBF's `Q` needs dimension 2), and adjacent zero or non-negative cones become one block.
fn as_cbf_returns(cones: &[Cone]) -> Vec<Cone> {
    let mut out: Vec<Cone> = Vec::new();
    for &cone in cones {
        let cone = if cone == Cone::SecondOrder(1) { Cone::Nonneg(1) } else { cone };
        match (out.last_mut(), cone) {
            (Some(Cone::Zero(d)), Cone::Zero(e)) | (Some(Cone::Nonneg(d)), Cone::Nonneg(e)) => *d += e,
            _ => out.push(cone),
        }
    }
    out
}

fn assert_round_trip(original: &ConeProgram) {
    let text = write_string(original);
    let back = read_cbf(&text, &original.name, 8 << 30).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back.name, original.name);
    assert_eq!(back.sense, original.sense, "the sense survives");
    assert_eq!(back.n, original.n);
    // The sign flip and the exponential cone's row reversal undo themselves exactly, and the floats are
    // printed in shortest round-trip form: the data must come back bit for bit.
    assert_eq!(back.a, original.a, "A differs after the round trip of\n{text}");
    assert_eq!(back.b, original.b, "b differs");
    assert_eq!(back.q, original.q, "q differs");
    assert_eq!(back.c, original.c, "c differs");
    assert_eq!(back.cones, as_cbf_returns(&original.cones));
    assert_eq!(back.p.nnz(), 0);
}

fn every_kind() -> Vec<Cone> {
    vec![
        Cone::Zero(2),
        Cone::Zero(1),
        Cone::Nonneg(3),
        Cone::SecondOrder(3),
        Cone::SecondOrder(1),
        Cone::Nonneg(2),
        Cone::Exp,
        Cone::Exp,
        Cone::Power(0.3),
        Cone::SecondOrder(5),
        Cone::Power(0.3),
        Cone::Power(0.1),
        Cone::Power(0.7),
        Cone::Zero(1),
    ]
}

#[test]
fn every_cone_kind_round_trips_in_both_senses() {
    for seed in 1..=20 {
        for sense in [Sense::Minimize, Sense::Maximize] {
            assert_round_trip(&random_program(seed, 6, every_kind(), sense));
        }
    }
}

#[test]
fn each_cone_kind_round_trips_alone() {
    for cone in [Cone::Zero(3), Cone::Nonneg(3), Cone::SecondOrder(4), Cone::Exp, Cone::Power(0.25)] {
        assert_round_trip(&random_program(99, 4, vec![cone], Sense::Minimize));
    }
}

#[test]
fn many_power_exponents_read_back_exactly() {
    // The table entry (α, 1 − α) must normalise back to exactly α.
    let mut g = crate::common::Lcg(5);
    let cones: Vec<Cone> = (0..200).map(|_| Cone::Power(g.unit().clamp(1e-9, 1.0 - 1e-9))).collect();
    assert_round_trip(&random_program(5, 3, cones, Sense::Minimize));
}

#[test]
fn a_maximisation_stays_one_with_the_users_objective() {
    let p = random_program(3, 4, vec![Cone::Nonneg(2)], Sense::Maximize);
    let text = write_string(&p);
    assert!(text.contains("OBJSENSE\nMAX\n"));
    // The file holds the user's objective, the negation of the stored one.
    let first = p.q.iter().position(|&v| v != 0.0).unwrap();
    let expected = format!("\n{first} {}\n", ryu::Buffer::new().format(-p.q[first]));
    assert!(text.contains(&expected), "expected `{expected}` in\n{text}");
    assert_round_trip(&p);
}

#[test]
fn empty_programs_round_trip() {
    let none = ConeProgram::new("empty", 0, Sense::Minimize);
    assert_round_trip(&none);
    let mut free = ConeProgram::new("free", 2, Sense::Maximize);
    free.q = vec![0.0, 2.0];
    free.c = -1.5;
    assert_round_trip(&free);
}

#[test]
fn write_read_write_gives_the_same_text() {
    let strip = |t: &str| t.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n");
    for seed in [7, 8] {
        let p = random_program(seed, 5, every_kind(), Sense::Maximize);
        let first = write_string(&p);
        let second = write_string(&read_cbf(&first, "again", 8 << 30).unwrap());
        assert_eq!(strip(&first), strip(&second));
    }
}

#[test]
fn written_text_uses_only_tokens_every_reader_accepts() {
    let text = write_string(&random_program(11, 6, every_kind(), Sense::Minimize));
    for line in text.lines() {
        assert!(line.len() < 509, "line too long: {line}");
        if line.starts_with('#') {
            continue;
        }
        assert_eq!(line, line.trim(), "no leading or trailing blanks");
        assert!(!line.contains("  ") && !line.contains('\t'), "single spaces only: {line:?}");
        for token in line.split(' ') {
            assert!(!token.starts_with('+'), "no plus sign: {line}");
            let lower = token.to_ascii_lowercase();
            assert!(!lower.contains("inf") && !lower.contains("nan"), "non-finite token: {line}");
        }
    }
}

#[test]
fn the_reader_accepts_crlf_tabs_and_comments_anywhere() {
    let p = random_program(21, 5, every_kind(), Sense::Minimize);
    let text = write_string(&p);
    let loose: String = text
        .lines()
        .flat_map(|l| {
            let spaced =
                if l.starts_with('#') { l.to_string() } else { format!(" {}\t", l.replace(' ', " \t ")) };
            [spaced, "# a comment inside an item".to_string(), String::new()]
        })
        .collect::<Vec<_>>()
        .join("\r\n");
    let back = read_cbf(&loose, "loose", 8 << 30).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back.a, p.a);
    assert_eq!(back.b, p.b);
    assert_eq!(back.q, p.q);
}
