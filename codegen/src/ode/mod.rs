//! Neuron models written as ODEs: rgenn derives the discrete update and the EventProp adjoint.
//!
//! A model with an `ode:` section gives `d(var)/dt` per state variable, the variable arriving
//! spikes add to, a threshold function that a spike crosses upwards and a reset. From these terms
//! ([`sym`], differentiated by [`diff`]) this module writes the model's `sim`, `threshold` and
//! `reset` code and its `adjoint:` section as ordinary code strings ([`forward`], [`adjoint`]),
//! which then go through the same checks as hand-written ones. Systems linear in the state get the
//! exact propagator ([`linear`], [`expm`]); nonlinear ones the explicit midpoint method
//! ([`explicit`]), whose adjoint reads the state of every step from a history. The derivation is
//! explained in `docs/ode-models.md`.

pub mod adjoint;
pub mod diff;
pub mod explicit;
pub mod expm;
pub mod forward;
pub mod from_ast;
pub mod linear;
pub mod print;
pub mod render;
pub mod sym;

use diff::NotDifferentiable;
use explicit::Explicit;
use linear::{Linear, NotLinear};
use sym::Sym;

/// A model's equations as terms, ready for the derivation.
#[derive(Clone, Debug)]
pub struct System {
    /// State variable names, in the model's order.
    pub vars: Vec<String>,
    /// `d(var)/dt` per variable (zero for a variable without an equation).
    pub f: Vec<Sym>,
    /// The variable arriving spikes add their weight to.
    pub input: Option<usize>,
    /// Instead of `input`: arrivals add `c * w` to each of these variables (`jump:` with more
    /// than one variable, or a coefficient other than 1), through the added variable
    /// [`ARRIVALS`].
    pub spread: Vec<(usize, Sym)>,
    /// The threshold function: a spike when it crosses zero upwards.
    pub threshold: Option<Sym>,
    /// The reset assignments `(var, new value)`, applied together.
    pub reset: Vec<(usize, Sym)>,
    /// The variable value readouts read (the loss drive enters its adjoint).
    pub readout_var: Option<usize>,
}

/// Which part of the model a problem is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The equation of a variable (index into [`System::vars`]).
    Equation(usize),
    /// The threshold.
    Threshold,
    /// A reset assignment (index into [`System::reset`]).
    Reset(usize),
}

/// Something the derivation cannot handle.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Where.
    pub part: Part,
    /// Stable code.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

/// How the equations are integrated over one step.
#[derive(Clone, Debug)]
pub enum Scheme {
    /// Linear in the state: the exact propagator, computed per population.
    Exact(Linear),
    /// Nonlinear: the explicit midpoint method.
    Midpoint(Explicit),
}

impl Scheme {
    /// The propagator whose entries are derived params, for a linear system.
    pub fn propagator(&self) -> Option<&Linear> {
        match self {
            Scheme::Exact(l) => Some(l),
            Scheme::Midpoint(_) => None,
        }
    }
}

/// The model's update and adjoint, as code strings.
#[derive(Clone, Debug)]
pub struct Derived {
    /// How the equations are integrated.
    pub scheme: Scheme,
    /// State variables the generated code adds, with their initial value.
    pub extra_vars: Vec<(String, String)>,
    /// The update of one step.
    pub sim: String,
    /// The spike condition.
    pub threshold: Option<String>,
    /// The reset.
    pub reset: Option<String>,
    /// The adjoint.
    pub adjoint: adjoint::Adjoint,
    /// How the equations are integrated, for `rgenn check`.
    pub method: String,
}

/// Name of the state variable holding the threshold function's value before the step.
pub const G_PREV: &str = "ode_g_prev";

/// Name of the state variable the delay ring adds the weights arriving in a step to, for a
/// model whose arrivals spread over several variables (`jump:`).
pub const ARRIVALS: &str = "ode_arrivals";

/// Derive the discrete model and its adjoint.
pub fn derive(s: &System) -> Result<Derived, Vec<Problem>> {
    let scheme = match Linear::of(&s.vars, &s.f) {
        Ok(l) => Scheme::Exact(l),
        Err(NotLinear::Coefficient { .. }) => match Explicit::of(&s.vars, &s.f) {
            Ok(e) => Scheme::Midpoint(e),
            Err((eq, err)) => return Err(vec![not_differentiable(Part::Equation(eq), &err)]),
        },
        Err(NotLinear::Function { eq, err }) => {
            return Err(vec![not_differentiable(Part::Equation(eq), &err)]);
        }
    };
    let mut problems = Vec::new();
    let threshold = s
        .threshold
        .as_ref()
        .and_then(|g| match adjoint::Spike::of(s, g) {
            Ok(spike) => Some(spike),
            Err(p) => {
                problems.push(p);
                None
            }
        });
    if !problems.is_empty() {
        return Err(problems);
    }
    let fwd = forward::write(s, &scheme);
    let adjoint = adjoint::write(s, &scheme, threshold.as_ref());
    let method = match &scheme {
        Scheme::Exact(linear) => {
            let moving: Vec<&str> = (0..s.vars.len())
                .filter(|&j| linear.moves(j))
                .map(|j| s.vars[j].as_str())
                .collect();
            format!(
                "linear in ({}): exact propagator exp(A dt), {}",
                moving.join(", "),
                arrivals_text(s)
            )
        }
        Scheme::Midpoint(e) => e.method(s, &arrivals_text(s)),
    };
    Ok(Derived {
        scheme,
        extra_vars: fwd.extra_vars,
        sim: fwd.sim,
        threshold: fwd.threshold,
        reset: fwd.reset,
        adjoint,
        method,
    })
}

/// How arrivals enter, for `rgenn check`.
fn arrivals_text(s: &System) -> String {
    if s.spread.is_empty() {
        return "the input added at the step's start".to_string();
    }
    let vars: Vec<&str> = s.spread.iter().map(|(j, _)| s.vars[*j].as_str()).collect();
    format!(
        "arrivals split over ({}) at the step's start",
        vars.join(", ")
    )
}

/// A problem for a function with no usable derivative.
pub fn not_differentiable(part: Part, err: &NotDifferentiable) -> Problem {
    let name = crate::ir::expr::Func::ALL
        .iter()
        .find(|(_, f, _)| *f == err.func)
        .map_or("?", |(n, _, _)| n);
    Problem {
        part,
        code: "rgenn::ode::not_differentiable",
        message: format!("`{name}` of a state variable has no derivative the adjoint can use"),
        help: "floor, ceil, round, min, max and clamp are steps or kinks; write a smooth term \
               (or a hand-written `sim:` and `adjoint:`)"
            .to_string(),
    }
}
