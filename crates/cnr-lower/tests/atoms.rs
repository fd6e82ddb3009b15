//! Each atom's cone form agrees with its evaluation: for random `z`, minimising the returned bound
//! `t` over the rows the cone form adds (through the IR and Clarabel) gives `σ(z)`.

use cnr_check::activation::{Atom, Expr};
use cnr_ir::{Cone, ConeProgram, RowBuilder, Sense, SolverSettings, Status};
use cnr_lower::activations::{lower_activation, ActivationRows};
use cnr_lower::emit::{Columns, Lin, Section};

/// Minimises the epigraph bound of `expr` at the fixed point `z`.
fn minimise_epigraph(expr: &Expr, z: f64) -> f64 {
    let mut cols = Columns::starting_at(0);
    let mut rows = ActivationRows::new("test", vec![]);
    let t = lower_activation(expr, &Lin::constant(z), &mut cols, &mut rows);
    let n = cols.next();
    let mut program = ConeProgram::new("epigraph", n, Sense::Minimize);
    for &(j, v) in &t.terms {
        program.q[j] += v;
    }
    program.c = t.constant;
    let mut builders = Vec::new();
    for group in rows.groups {
        let count = group.rows.rows();
        if count == 0 {
            continue;
        }
        match group.section {
            Section::Zero => program.cones.push(Cone::Zero(count)),
            Section::Nonneg => program.cones.push(Cone::Nonneg(count)),
            _ => program.cones.extend(group.cones),
        }
        builders.push(group.rows);
    }
    let (a, b) = RowBuilder::stack(builders, n);
    program.a = a;
    program.b = b;
    program.validate().expect("the epigraph program is valid");
    let settings = SolverSettings { tol_abs: 1e-10, tol_rel: 1e-10, ..SolverSettings::default() };
    let solution = cnr_clarabel::solve(&program, &settings).expect("Clarabel runs");
    assert!(
        matches!(solution.status, Status::Optimal | Status::Inaccurate),
        "{expr:?} at z = {z}: {:?}",
        solution.status
    );
    solution.objective
}

/// Deterministic points in [−3, 3], including 0 and the kinks of the atoms.
fn points() -> Vec<f64> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut v = vec![0.0, 1.0, -1.0, 0.5];
    for _ in 0..12 {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        v.push(((state >> 11) as f64 / (1u64 << 53) as f64) * 6.0 - 3.0);
    }
    v
}

fn agrees(expr: Expr) {
    for z in points() {
        let want = expr.eval(z);
        let got = minimise_epigraph(&expr, z);
        let tol = 1e-6 * (1.0 + want.abs());
        assert!((got - want).abs() <= tol, "{expr:?} at z = {z}: epigraph gives {got}, evaluation {want}");
    }
}

fn atom(a: Atom) -> Expr {
    Expr::Atom(a, Box::new(Expr::Z))
}

#[test]
fn every_atom_of_the_table_agrees_with_its_evaluation() {
    // The table of atoms is the one list: a new atom is tested here as soon as it has its entry.
    let mut tried = 0;
    for spec in cnr_check::activation::ATOMS {
        for &p in spec.test_params {
            agrees(atom((spec.make)(p)));
            tried += 1;
        }
    }
    assert!(tried >= 15, "{tried} atom settings");
}

#[test]
fn every_atom_of_the_table_names_its_cone_form_module() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/activations");
    for spec in cnr_check::activation::ATOMS {
        let module = dir.join(format!("{}.rs", spec.cone_form));
        assert!(module.exists(), "{}: no {}", spec.name, module.display());
    }
}

#[test]
fn compositions_agree_with_their_evaluation() {
    let z = || Box::new(Expr::Z);
    // max(0.1 z, z, 3 z − 2)
    agrees(Expr::Max(vec![
        Expr::Scale(0.1, z()),
        Expr::Z,
        Expr::Sum(vec![Expr::Scale(3.0, z()), Expr::Const(-2.0)]),
    ]));
    // exp(relu(z)): non-decreasing of convex.
    agrees(Expr::Atom(Atom::Exp, Box::new(atom(Atom::Relu))));
    // square(−relu(z)): an even atom of a non-positive concave argument.
    agrees(Expr::Atom(Atom::Square, Box::new(Expr::Scale(-1.0, Box::new(atom(Atom::Relu))))));
    // relu(z) + 0.5·square(z) − 1
    agrees(Expr::Sum(vec![
        atom(Atom::Relu),
        Expr::Scale(0.5, Box::new(atom(Atom::Square))),
        Expr::Const(-1.0),
    ]));
    // huber(softplus(z), 1): an even atom of a non-negative convex argument.
    agrees(Expr::Atom(Atom::Huber(1.0), Box::new(atom(Atom::Softplus))));
}
