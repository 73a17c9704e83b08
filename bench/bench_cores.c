/* SPDX-License-Identifier: Apache-2.0 */
/* bench_cores - what this machine's cores give threads that share nothing: the ceiling
 * for workers, as tcpdump is the ceiling for capture. Each thread, pinned to a CPU of its
 * own, reads its own table at random, either each read depending on the one before (a
 * chain: latency, as one hash lookup's steps are) or each independent of the others
 * (many misses in flight: bandwidth, as lookups for different packets are); the figure is
 * reads/s with every CPU's thread running at once against one thread alone. Two tables:
 * 256 KiB (in a core's cache) and 64 MiB (past the caches: memory, which a VM's "cores"
 * may share with each other and with other guests). A workload between the two, as
 * eastwatch's flow tables and nDPI are, scales between their ratios. Last, arithmetic
 * alone (no memory): below 2x with two threads, the two CPUs are one core's two
 * hyperthreads.
 *
 *   bench_cores [ROUNDS]      (default 3; one thread and all threads alternate)
 * Each figure is per thread summed, in millions a second (a step of arithmetic counts
 * as a read).
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define READS 20000000L

struct job {
	int cpu, chain;
	size_t words;
	double secs;
	uint64_t sink;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A random cycle through the table (Sattolo's shuffle): every read depends on the one
 * before, and no prefetcher can guess the next. */
static uint64_t *cycle(size_t n, uint64_t seed)
{
	uint64_t *t = malloc(n * sizeof(*t));

	if (t == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		t[i] = i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j;
		uint64_t x;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		j = seed % i;
		x = t[i];
		t[i] = t[j];
		t[j] = x;
	}
	return t;
}

static void *run(void *arg)
{
	struct job *j = arg;
	cpu_set_t set;
	uint64_t *t, at = 0;
	double t0;

	CPU_ZERO(&set);
	CPU_SET(j->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (j->chain == 2) {            /* arithmetic: four independent recurrences */
		uint64_t a = 1, b = 7, c = 13, d = 19;

		t0 = now_s();
		for (long i = 0; i < READS * 4; i++) {
			a = a * 6364136223846793005ULL + 1;
			b ^= b << 13;
			b ^= b >> 7;
			c += a ^ b;
			d = (d * 31) ^ c;
		}
		j->secs = (now_s() - t0) / 4;   /* per READS steps, as the reads */
		j->sink = a ^ b ^ c ^ d;
		return NULL;
	}
	if ((t = cycle(j->words, 0x9e3779b97f4a7c15ULL + (uint64_t)j->cpu)) == NULL)
		return NULL;
	for (size_t i = 0; i < j->words; i++)    /* warm: the first pass faults pages in */
		at = t[at];
	t0 = now_s();
	if (j->chain) {
		for (long i = 0; i < READS; i++)
			at = t[at];
	} else {
		uint64_t x = at | 1, sum = 0;

		for (long i = 0; i < READS; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			sum += t[x & (j->words - 1)];
		}
		at = sum;
	}
	j->secs = now_s() - t0;
	j->sink = at;
	free(t);
	return NULL;
}

/* Reads/s of n threads at once on the first n CPUs this process may use. */
static double rate(const int *cpus, int n, size_t words, int chain)
{
	pthread_t th[64];
	struct job jobs[64];
	double total = 0;

	for (int i = 0; i < n; i++) {
		jobs[i] = (struct job){ .cpu = cpus[i], .words = words, .chain = chain };
		pthread_create(&th[i], NULL, run, &jobs[i]);
	}
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		total += jobs[i].secs > 0 ? READS / jobs[i].secs : 0;
	}
	return total;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 3, cpus[64], n = 0;
	static const size_t kib[] = { 256, 64 * 1024 };
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1;
	for (int c = 0; c < CPU_SETSIZE && n < 64; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	printf("%d CPUs; %ld random reads (or arithmetic steps) per thread, each thread on its CPU\n", n,
	       READS);
	for (int r = 0; r < rounds; r++) {
		double one = rate(cpus, 1, 0, 2), all = rate(cpus, n, 0, 2);

		printf("arithmetic only, round %d: 1 thread %.1f M steps/s, %d threads %.1f M "
		       "steps/s: %.2fx\n", r + 1, one / 1e6, n, all / 1e6, all / one);
	}
	for (int chain = 1; chain >= 0; chain--)
		for (size_t k = 0; k < sizeof(kib) / sizeof(kib[0]); k++) {
			size_t words = kib[k] * 1024 / sizeof(uint64_t);

			for (int r = 0; r < rounds; r++) {
				double one = rate(cpus, 1, words, chain);
				double all = rate(cpus, n, words, chain);

				printf("%s reads, table %zu KiB a thread, round %d: 1 thread %.1f M "
				       "reads/s, %d threads %.1f M reads/s: %.2fx\n",
				       chain ? "chained" : "independent", kib[k], r + 1, one / 1e6, n,
				       all / 1e6, all / one);
			}
		}
	return 0;
}
