/*
 * The cost of waking a sleeping thread on this machine: two threads pass a token back and forth
 * through two eventfds, each sleeping in poll() until its turn. Every round trip is two wake-ups.
 *
 *   cc -O2 -pthread scripts/bench/wake_pingpong.c -o /tmp/wake_pingpong && /tmp/wake_pingpong
 */
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

enum { ROUND_TRIPS = 20000 };
static int to_peer, to_main;

static void wait_and_take(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    uint64_t value;
    poll(&p, 1, -1);
    if (read(fd, &value, sizeof value) != sizeof value) _exit(1);
}

static void give(int fd) {
    uint64_t one = 1;
    if (write(fd, &one, sizeof one) != sizeof one) _exit(1);
}

static void *peer(void *unused) {
    (void)unused;
    for (int i = 0; i < ROUND_TRIPS; i++) {
        wait_and_take(to_peer);
        give(to_main);
    }
    return NULL;
}

int main(void) {
    to_peer = eventfd(0, 0);
    to_main = eventfd(0, 0);
    pthread_t thread;
    pthread_create(&thread, NULL, peer, NULL);
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int i = 0; i < ROUND_TRIPS; i++) {
        give(to_peer);
        wait_and_take(to_main);
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    pthread_join(thread, NULL);
    double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    printf("%.1f us per round trip (two wake-ups)\n", seconds / ROUND_TRIPS * 1e6);
    return 0;
}
