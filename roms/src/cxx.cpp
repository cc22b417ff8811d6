// A dynamically linked C++ program: exceptions thrown in its shared library and caught here,
// exceptions from here passing through library frames, static constructors and destructors in
// both, std::thread, iostreams and the standard containers.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

struct LibError : std::runtime_error {
    int code;
    LibError(const std::string &m, int c) : std::runtime_error(m), code(c) {}
};
void lib_throw(int kind);
int lib_call_through(const std::function<int(int)> &f, int x);
std::string lib_concat(const std::string &a, const std::string &b);

struct Announce {
    const char *name;
    explicit Announce(const char *n) : name(n) { std::printf("cxx: construct %s\n", name); }
    ~Announce() { std::printf("cxx: destroy %s\n", name); }
};
static Announce first("program static 1");
static Announce second("program static 2");

struct Base {
    virtual ~Base() = default;
    virtual std::string name() const { return "base"; }
};
struct Derived : Base {
    std::string name() const override { return "derived"; }
};

int main() {
    std::cout << "main starts" << std::endl;
    for (int kind = 0; kind < 4; kind++) {
        try {
            lib_throw(kind);
        } catch (const LibError &e) {
            std::cout << "caught LibError: " << e.what() << " code " << e.code << "\n";
        } catch (const std::exception &e) {
            std::cout << "caught std::exception: " << e.what() << "\n";
        } catch (int i) {
            std::cout << "caught int " << i << "\n";
        } catch (...) {
            std::cout << "caught something else\n";
        }
    }
    try {
        lib_call_through([](int x) -> int { throw std::runtime_error("thrown by the program's lambda " + std::to_string(x)); }, 5);
    } catch (const std::runtime_error &e) {
        std::cout << "through the library: " << e.what() << "\n";
    }
    std::cout << "no throw: " << lib_call_through([](int x) { return x * 10; }, 4) << "\n";
    try {
        try {
            lib_throw(0);
        } catch (...) {
            std::cout << "rethrowing\n";
            throw;
        }
    } catch (const LibError &e) {
        std::cout << "caught rethrown code " << e.code << "\n";
    }
    std::unique_ptr<Base> b = std::make_unique<Derived>();
    std::cout << "virtual: " << b->name() << ", dynamic_cast ok: " << (dynamic_cast<Derived *>(b.get()) != nullptr)
              << "\n";
    std::cout << "concat: " << lib_concat("left", "right") << "\n";

    std::map<std::string, int> m;
    std::istringstream words("the quick brown fox jumps over the lazy dog the end");
    for (std::string w; words >> w;)
        m[w]++;
    for (auto &kv : m)
        std::cout << kv.first << "=" << kv.second << " ";
    std::cout << "\n";

    std::atomic<long> total{0};
    std::mutex mu;
    std::vector<int> finished;
    std::vector<std::thread> ts;
    for (int i = 0; i < 4; i++)
        ts.emplace_back([i, &total, &mu, &finished] {
            long s = 0;
            for (int k = 0; k <= 10000; k++)
                s += k * (i + 1);
            total += s;
            std::lock_guard<std::mutex> g(mu);
            finished.push_back(i);
        });
    for (auto &t : ts)
        t.join();
    std::sort(finished.begin(), finished.end());
    std::cout << "threads: total " << total << ", finished " << finished.size() << "\n";
    try {
        std::vector<int> v(3);
        (void)v.at(10);
    } catch (const std::out_of_range &) {
        std::cout << "vector::at threw out_of_range\n";
    }
    std::cout << "main ends" << std::endl;
    return 0;
}
