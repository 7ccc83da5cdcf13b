/* Runs the sequence-detection network (examples/sequence_detection.yaml) from C through the
 * library, header and initial parameters that `rgenn generate` writes: loads the network file's
 * weights and delays (or delays from the command line), feeds both input orders and prints each
 * output's readout and the predicted order.
 *
 *   make                      # generate, build the library, build this program
 *   ./build/sequence_detection            # initial delays: fails the task
 *   ./build/sequence_detection 12 2 2 12  # delays that solve it
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "rgenn.h"

#define NET(x) RGENN_SEQUENCE_DETECTION_##x

enum { INPUT_POPULATION = 0, MAX_DELAY_STEPS = 15 };

/* Delays (ms, synapse pre * 2 + post) as the simulator keeps them: in ms and, for the kernels, in
 * steps (rounded half away from zero, clamped to the delay ring). */
static void set_delays(void* sim, const float delays_ms[4]) {
    float* delay = rgenn_buffer(sim, NET(CONN_IN_OUT_DELAY));
    uint16_t* steps = rgenn_buffer(sim, NET(CONN_IN_OUT_DELAY_STEPS));
    for (int s = 0; s < 4; s++) {
        long n = lround(delays_ms[s] / NET(DT_MS));
        delay[s] = delays_ms[s];
        steps[s] = (uint16_t)(n < 0 ? 0 : n > MAX_DELAY_STEPS ? MAX_DELAY_STEPS : n);
    }
}

/* One trial on lane 0: `first` spikes at 0 ms, the other input at 10 ms. */
static int run_trial(void* sim, uint32_t first, float readout[2]) {
    uint32_t step_start[NET(N_STEPS) + 1];
    uint32_t units[2] = {first, 1 - first};
    for (uint32_t n = 0; n <= NET(N_STEPS); n++) {
        step_start[n] = n == 0 ? 0 : n <= 10 ? 1 : 2;
    }
    rgenn_reset(sim, 0);
    int32_t status = rgenn_set_input(sim, INPUT_POPULATION, 0, step_start, units, 2);
    if (status != 0) {
        fprintf(stderr, "rgenn_set_input failed with status %d\n", status);
        return 1;
    }
    for (uint32_t n = 0; n < NET(N_STEPS); n++) {
        rgenn_step(sim, 0, n);
    }
    rgenn_finish_trial(sim, 0);
    const float* r = rgenn_buffer(sim, NET(POP_OUTPUT_READOUT));
    readout[0] = r[0];
    readout[1] = r[1];
    return 0;
}

int main(int argc, char** argv) {
    if (argc != 1 && argc != 5) {
        fprintf(stderr, "usage: %s [DELAY_00 DELAY_01 DELAY_10 DELAY_11]  (ms)\n", argv[0]);
        return 2;
    }
    if (rgenn_abi_version() != 3) {  // the ABI this program is written against
        fprintf(stderr, "unexpected ABI version %u\n", rgenn_abi_version());
        return 1;
    }
    void* sim = rgenn_create();
    if (sim == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    /* The network file's initial weights and delays (params.c, written by rgenn generate). */
    rgenn_sequence_detection_load_params(sim);
    if (argc == 5) {
        float delays_ms[4];
        for (int s = 0; s < 4; s++) {
            delays_ms[s] = strtof(argv[s + 1], NULL);
        }
        set_delays(sim, delays_ms);
    }
    int correct = 0;
    for (uint32_t order = 0; order < 2; order++) {
        float readout[2];
        if (run_trial(sim, order, readout) != 0) {
            rgenn_destroy(sim);
            return 1;
        }
        uint32_t predicted = readout[1] > readout[0] ? 1 : 0;
        correct += predicted == order;
        printf("order %u: readout %.9g %.9g -> predicted %u\n", order, readout[0], readout[1],
               predicted);
    }
    printf("accuracy %d/2\n", correct);
    rgenn_destroy(sim);
    return 0;
}
