/*
 * Baseline for the replay benchmark: plain avro-c decoding of Avro container
 * files, with no resolution, no engine and no output: what the replay's
 * decode step cannot beat with avro-c. Prints one line per run and the
 * median.
 *
 *   bench_decode [--runs N] FILE...
 */
#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long decode_file(const char *path) {
        avro_file_reader_t r;
        avro_schema_t ws;
        avro_value_iface_t *iface;
        avro_value_t v;
        long long n = 0;

        if (avro_file_reader(path, &r)) {
                fprintf(stderr, "%s: %s\n", path, avro_strerror());
                exit(1);
        }
        ws = avro_file_reader_get_writer_schema(r);
        iface = avro_generic_class_from_schema(ws);
        avro_generic_value_new(iface, &v);
        while (avro_file_reader_read_value(r, &v) == 0)
                n++;
        avro_value_decref(&v);
        avro_value_iface_decref(iface);
        avro_schema_decref(ws);
        avro_file_reader_close(r);
        return n;
}

static int cmp(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

int main(int argc, char **argv) {
        int runs = 5, first = 1;
        double t[64];
        long long n = 0;

        if (argc > 2 && !strcmp(argv[1], "--runs")) {
                runs = atoi(argv[2]);
                first = 3;
        }
        if (first >= argc || runs < 1 || runs > 64) {
                fprintf(stderr, "usage: bench_decode [--runs N] FILE...\n");
                return 2;
        }
        for (int i = 0; i < runs; i++) {
                double start = now_s();
                n = 0;
                for (int f = first; f < argc; f++)
                        n += decode_file(argv[f]);
                t[i] = now_s() - start;
                printf("run %d: %lld records in %.3f s, %.0f records/s\n",
                       i + 1, n, t[i], (double)n / t[i]);
        }
        qsort(t, (size_t)runs, sizeof(double), cmp);
        printf("avro-c decode: median %.3f s, %.0f records/s (%lld records, "
               "%d runs)\n",
               t[runs / 2], (double)n / t[runs / 2], n, runs);
        return 0;
}
