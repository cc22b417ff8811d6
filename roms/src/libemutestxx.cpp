// The C++ shared library of the cxx rom (roms/bin/libemutestxx.so): throws across the library
// boundary, calls back into the program, has static objects with constructors and destructors.
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>

struct LibError : std::runtime_error {
    int code;
    LibError(const std::string &m, int c) : std::runtime_error(m), code(c) {}
};

namespace {
struct Announce {
    const char *name;
    explicit Announce(const char *n) : name(n) { std::printf("libemutestxx: construct %s\n", name); }
    ~Announce() { std::printf("libemutestxx: destroy %s\n", name); }
};
Announce lib_static("library static");
} // namespace

void lib_throw(int kind) {
    switch (kind) {
    case 0: throw LibError("LibError from the library", 17);
    case 1: throw std::out_of_range("out_of_range from the library");
    case 2: throw 42;
    default: throw std::string("a std::string");
    }
}

int lib_call_through(const std::function<int(int)> &f, int x) {
    Announce guard("frame guard"); // destroyed while the exception passes through
    return f(x) + 1;
}

std::string lib_concat(const std::string &a, const std::string &b) { return a + "+" + b; }
