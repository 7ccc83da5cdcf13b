//! Finding a buffer of the IR by its owner and role: the one lookup every printer uses.

use crate::ir::Network;
use crate::ir::buffers::{Buffer, Owner, Role};

/// The buffer of `owner` with `role`, if the network has one.
pub fn buffer(net: &Network, owner: Owner, role: Role) -> Option<&Buffer> {
    net.buffers
        .iter()
        .find(|b| b.owner == owner && b.role == role)
}

/// The name of the buffer of `owner` with `role`, or `""` when there is none.
pub fn buffer_name(net: &Network, owner: Owner, role: Role) -> String {
    buffer(net, owner, role)
        .map(|b| b.name.clone())
        .unwrap_or_default()
}
