//! The built-in neuron models, embedded from the repository's `models/` folder.
//!
//! They are ordinary model YAML files; nothing about them is special-cased in Rust. A `model:`
//! value that is not a built-in name is a path to a model file relative to the network file.

/// `(name, file name, YAML text)` of every built-in model.
pub const BUILTIN_MODELS: &[(&str, &str, &str)] = &[
    (
        "spike_input",
        "models/spike_input.yaml",
        include_str!("../../models/spike_input.yaml"),
    ),
    (
        "lif",
        "models/lif.yaml",
        include_str!("../../models/lif.yaml"),
    ),
    ("li", "models/li.yaml", include_str!("../../models/li.yaml")),
    (
        "lif_ode",
        "models/lif_ode.yaml",
        include_str!("../../models/lif_ode.yaml"),
    ),
    (
        "alif",
        "models/alif.yaml",
        include_str!("../../models/alif.yaml"),
    ),
    (
        "lif_alpha",
        "models/lif_alpha.yaml",
        include_str!("../../models/lif_alpha.yaml"),
    ),
    (
        "qif",
        "models/qif.yaml",
        include_str!("../../models/qif.yaml"),
    ),
];

/// The file name and text of the built-in model `name`.
pub fn builtin(name: &str) -> Option<(&'static str, &'static str)> {
    BUILTIN_MODELS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, f, t)| (*f, *t))
}

/// Names of all built-in models.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTIN_MODELS.iter().map(|(n, _, _)| *n)
}
