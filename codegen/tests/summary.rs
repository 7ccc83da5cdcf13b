//! Ring lengths, synapse counts and memory of whole networks, checked against values worked out by
//! hand from the rules: a delay of `d` ms is `round(d / dt)` steps (half away from zero); a
//! population's ring holds `1 + the longest step delay` of its incoming connections; buffer sizes
//! follow the plan in `codegen/src/ir/buffers.rs` (scalar = 4 bytes in f32, 8 in f64;
//! per-population buffers have one copy per batch lane, connection buffers one in total).

use std::path::Path;

use rgenn_codegen::ir::buffers::Owner;
use rgenn_codegen::ir::{Delays, Network};
use rgenn_codegen::summary::{backward_bytes, owner_backward_bytes, owner_bytes, total_bytes};

fn load(path: &str) -> Network {
    match rgenn_codegen::load_file(Path::new(path)) {
        Ok(loaded) => loaded.ir,
        Err(e) => panic!("{path} does not load: {e}"),
    }
}

/// `(name, ring_len, bytes)` of every population, in file order.
fn populations(net: &Network) -> Vec<(&str, u32, u64)> {
    net.populations
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let bytes = owner_bytes(net, Owner::Population(i as u32));
            (p.name.as_str(), p.ring_len, bytes)
        })
        .collect()
}

/// `(name, synapses, max delay steps, bytes)` of every connection, in file order.
fn connections(net: &Network) -> Vec<(&str, u64, u32, u64)> {
    net.connections
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let bytes = owner_bytes(net, Owner::Connection(i as u32));
            (c.name.as_str(), c.n_synapses, c.max_delay_steps, bytes)
        })
        .collect()
}

fn uniform_steps(net: &Network, conn: &str) -> Option<u32> {
    let c = net
        .connections
        .iter()
        .find(|c| c.name == conn)
        .unwrap_or_else(|| panic!("no connection `{conn}`"));
    match c.delays {
        Delays::Uniform { steps } => Some(steps),
        Delays::PerSynapse { .. } => None,
    }
}

#[test]
fn sequence_detection_example() {
    // dt 1 ms, f32 (4-byte scalars), batch 1.
    let net = load("../examples/sequence_detection.yaml");
    assert_eq!(net.n_steps, 25);
    assert_eq!(
        populations(&net),
        [
            // spike_input: no state, no ring (not a neuron); spike_count u32 1 + spikes u32 2:
            // 4 + 8 = 12 bytes.
            ("input", 0, 12),
            // li, max_delay 15 ms / 1 ms = 15 steps -> ring 16.
            // v 2*4 + i 2*4 + ring 16*2*4 + readout 2*4 + readout_step u32 2*4 (the `max`
            // readout's step) = 8 + 8 + 128 + 8 + 8 = 160 bytes.
            ("output", 16, 160),
        ]
    );
    assert_eq!(
        connections(&net),
        // dense 2x2 = 4 synapses, learned delays: weight 4*4 + delay (ms) 4*4 + delay_steps u16
        // 4*2 = 16 + 16 + 8 = 40 bytes.
        [("in_out", 4, 15, 40)]
    );
    assert_eq!(uniform_steps(&net, "in_out"), None);
    // 12 + 160 + 40.
    assert_eq!(total_bytes(&net), 212);
    assert_eq!(forward_buffers(&net), 2 + 5 + 3);
    // Adjoint pass: output lambda_v, lambda_i, lambda_i_next 3 * 2*4 + weight_grad and delay_grad
    // rings 2 * 16*2*4 + nonzero_grad_step u32 4 + readout_grad 2*4 = 24 + 256 + 4 + 8 = 292; the
    // input has no adjoint state;
    // in_out weight_grad 4*4 + delay_grad 4*4 = 32 (per lane, batch 1) + Adam moments m and v of
    // the learned delays 2*4*4 = 32 (weights are not learned) = 64.
    assert_eq!(owner_backward_bytes(&net, Owner::Population(0)), 0);
    assert_eq!(owner_backward_bytes(&net, Owner::Population(1)), 292);
    assert_eq!(owner_backward_bytes(&net, Owner::Connection(0)), 64);
    assert_eq!(backward_bytes(&net), 356);
}

fn forward_buffers(net: &Network) -> usize {
    net.buffers.iter().filter(|b| !b.role.is_backward()).count()
}

#[test]
fn hand_computed_fixture() {
    // dt 0.5 ms, f64 (8-byte scalars), batch 3.
    let net = load("tests/fixtures/summary_net.yaml");
    assert_eq!(net.n_steps, 40); // 20 ms / 0.5 ms

    // Step delays of each connection:
    // in_hid:  values, no max_delay: the largest value 2.25 ms = 4.5 steps rounds (half away from
    //          zero) to 5 (not to even 4), so max_delay_steps 5 and per-synapse delays.
    // hid_hid: constant 0.75 ms = 1.5 steps -> 2, no max_delay -> max_delay_steps 2, uniform 2.
    // hid_out: learned delays, max_delay 7.5 ms -> 15 steps, per-synapse.
    // in_out:  constant 3 ms -> 6 steps (not learned), max_delay 10 ms -> 20 steps; the ring only
    //          needs the constant delay, so it contributes 1 + 6 = 7.
    // in_side: constant 1.5 ms -> 3 steps, no max_delay -> ring 1 + 3 = 4.
    assert_eq!(uniform_steps(&net, "in_hid"), None);
    assert_eq!(uniform_steps(&net, "hid_hid"), Some(2));
    assert_eq!(uniform_steps(&net, "hid_out"), None);
    assert_eq!(uniform_steps(&net, "in_out"), Some(6));
    assert_eq!(uniform_steps(&net, "in_side"), Some(3));

    assert_eq!(
        populations(&net),
        [
            // spike_input, size 3: spike_count u32 1*4*3 + spikes u32 3*4*3 = 12 + 36 = 48.
            ("input", 0, 48),
            // lif, size 4, ring max(1 + 5 from in_hid, 1 + 2 from hid_hid) = 6:
            // v 4*8*3 + i 4*8*3 + ring 6*4*8*3 + spike_count 1*4*3 + spikes 4*4*3
            // = 96 + 96 + 576 + 12 + 48 = 828.
            ("hidden", 6, 828),
            // li, size 2, readout, ring max(1 + 15 from hid_out, 1 + 6 from in_out) = 16:
            // v 2*8*3 + i 2*8*3 + ring 16*2*8*3 + readout 2*8*3 = 48 + 48 + 768 + 48 = 912.
            ("output", 16, 912),
            // li, size 1, ring 1 + 3 = 4: v 24 + i 24 + ring 4*1*8*3 = 96 -> 144.
            ("side", 4, 144),
        ]
    );
    assert_eq!(
        connections(&net),
        [
            // dense 3x4 = 12: weight 12*8 = 96 + delay_steps u16 12*2 = 24 (fixed values, so no
            // ms copy) -> 120.
            ("in_hid", 12, 5, 120),
            // one-to-one 4: weight 4*8 = 32; uniform delay, no per-synapse buffer.
            ("hid_hid", 4, 2, 32),
            // dense 4x2 = 8: weight 64 + delay (ms) 64 + delay_steps u16 8*2 = 16 -> 144.
            ("hid_out", 8, 15, 144),
            // p = 1 keeps every pair: 3*2 = 6: weight 48 + row_start u32 (3+1)*4 = 16
            // + post u32 6*4 = 24 -> 88.
            ("in_out", 6, 20, 88),
            // dense 3x1 = 3: weight 3*8 = 24.
            ("in_side", 3, 3, 24),
        ]
    );
    // Populations 48 + 828 + 912 + 144 = 1932; connections 120 + 32 + 144 + 88 + 24 = 408.
    assert_eq!(total_bytes(&net), 2340);
    // input 2, hidden 5, output 4, side 3; in_hid 2, hid_hid 1, hid_out 3, in_out 3, in_side 1.
    assert_eq!(forward_buffers(&net), 24);
}

#[test]
fn shd_benchmark_network() {
    // The benchmark lives in the shared folder next to the repository, not in it.
    let path = "../../shared/bench/shd_synth_delay62.yaml";
    if !Path::new(path).is_file() {
        println!("note: {path} is absent; skipping the benchmark network");
        return;
    }
    // dt 1 ms, f32, batch 1.
    let net = load(path);
    assert_eq!(
        populations(&net),
        [
            // spike_count 4 + spikes 700*4 = 2800 -> 2804.
            ("input", 0, 2804),
            // learned delays with max_delay 62 ms -> 62 steps -> ring 63:
            // v 1024 + i 1024 + ring 63*256*4 = 64512 + spike_count 4 + spikes 1024 = 67588.
            ("hidden", 63, 67588),
            // no delays -> ring 1: v 80 + i 80 + ring 80 + readout 80 = 320.
            ("output", 1, 320),
        ]
    );
    assert_eq!(
        connections(&net),
        [
            // 700*256 = 179200: weight 716800 + delay 716800 + delay_steps u16 358400.
            ("in_hid", 179_200, 62, 1_792_000),
            // 256*256 = 65536: weight 262144 + delay 262144 + delay_steps u16 131072.
            ("hid_hid", 65_536, 62, 655_360),
            // 256*20 = 5120: weight 20480.
            ("hid_out", 5_120, 0, 20_480),
        ]
    );
    // 2804 + 67588 + 320 + 1792000 + 655360 + 20480.
    assert_eq!(total_bytes(&net), 2_538_552);
    // Adjoint pass, hidden (capacity 500 spikes per neuron): lambda_v, lambda_i, lambda_i_next
    // 3 * 1024 + weight_grad and delay_grad rings 2 * 63*256*4 = 129024 + nonzero_grad_step 4
    // + tape_count 1024 + tape_step 256*500*4 = 512000 + tape_i_minus_v 512000 + tape_read 1024
    // + back_spike_count 4 + back_spikes 1024 + count_grad 1024 + dloss_dt 1024 = 1161224.
    assert_eq!(owner_backward_bytes(&net, Owner::Population(1)), 1_161_224);
    // output: three adjoint variables, two 1-slot rings and readout_grad, 20*4 each = 480, and
    // nonzero_grad_step 4 = 484.
    assert_eq!(owner_backward_bytes(&net, Owner::Population(2)), 484);
    // Gradients per lane: (179200 + 65536 + 5120) synapses * 2 * 4 bytes = 1998848; Adam m and v
    // of the learned weights and delays of in_hid and hid_hid (hid_out learns nothing):
    // (179200 + 65536) * 2 params * 2 moments * 4 bytes = 3915776.
    assert_eq!(
        backward_bytes(&net),
        1_161_224 + 484 + 1_998_848 + 3_915_776
    );
}
