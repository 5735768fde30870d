// Package schedclass reads the kernel scheduling classes (policies) of a
// process's threads: the gateway and its plugins put theirs in the batch
// class (sdk.YieldToServer), and tests and the load tool check it.
package schedclass

// Batch is the kernel's number for the batch class (SCHED_BATCH).
const Batch = 3
