//! The build-cache key: a SHA-256 over the IR's canonical JSON and everything else that shapes
//! the generated library (backend, template set, rgenn version, compiler identity).

use sha2::{Digest, Sha256};

use super::Network;

/// Hex SHA-256 of the code-shaping part of the IR plus `extra` strings.
///
/// The run settings (data, training) do not change generated code and are left out, so editing a
/// learning rate does not force a rebuild.
pub fn cache_key(net: &Network, extra: &[&str]) -> String {
    let mut shaped = net.clone();
    shaped.run = Default::default();
    let json = serde_json::to_string(&shaped).expect("the IR is plain data and always serialises");
    let mut h = Sha256::new();
    h.update(json.as_bytes());
    for e in extra {
        h.update([0u8]);
        h.update(e.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
