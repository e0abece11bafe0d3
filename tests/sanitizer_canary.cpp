// Built only with -DZL_SANITIZE (scripts/test_sanitized). Each mode commits one
// deliberate fault in an instrumented translation unit of ours; the ctest entries
// pass only when the sanitizer REPORTS it. This is what keeps a sanitized run of the
// suite from passing vacuously: a lost -fsanitize flag, detect_leaks turned off, or a
// suppression file that hides everything turns these tests red.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

namespace {

// The size and index come from the command line, so the optimiser cannot prove the
// access out of bounds (or the overflow) at compile time and drop it.
int heap_overflow(int n) {
  char* p = new char[n];
  std::memset(p, 0, n);
  const int v = p[n];  // one past the end
  delete[] p;
  return v;
}

int use_after_free(int n) {
  int* p = new int[n];
  p[0] = 1;
  delete[] p;
  return p[0];
}

void* volatile g_sink;
int leak(int n) {
  g_sink = std::malloc(n);  // then dropped: only the leak checker at exit can see it
  std::memset(g_sink, 1, n);
  g_sink = nullptr;
  return 0;
}

int signed_overflow(int n) {
  int x = std::numeric_limits<int>::max() - 1;
  x += n;  // n >= 2: undefined behaviour
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s heap-overflow|use-after-free|leak|signed-overflow N\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  const int n = std::atoi(argv[2]);
  int r = 0;
  if (mode == "heap-overflow") r = heap_overflow(n);
  else if (mode == "use-after-free") r = use_after_free(n);
  else if (mode == "leak") r = leak(n);
  else if (mode == "signed-overflow") r = signed_overflow(n);
  else return 2;
  std::printf("fault committed and not reported (%d)\n", r);
  return 0;
}
