//! Real programs of the host (Debian's coreutils, bash, python3, perl, lua5.4, sqlite3, make
//! and gcc), dynamically linked, natively and under emu on the same inputs: same stdout, same
//! stderr, same status. Their children (bash pipelines, python's subprocess, make's compilers)
//! run under emu too, because a guest's execve stays inside emu. Skipped, with the reason
//! printed, where the host is not x86-64 Linux or a program is missing (packages: coreutils,
//! bash, python3, perl, lua5.4, sqlite3, make, gcc).

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Input files shared by the cases (read-only once made).
fn data_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch_dir("host-data");
        let mut rnd = xorshift64(12345);
        let mut lines = String::new();
        for i in 0..400 {
            lines.push_str(&format!(
                "{} word{} {}\n",
                rnd() % 1000,
                i % 17,
                ["alpha", "beta", "gamma"][i % 3]
            ));
        }
        std::fs::write(dir.join("lines.txt"), lines).unwrap();
        let bin: Vec<u8> = (0..64 * 1024).map(|_| (rnd() >> 20) as u8).collect();
        std::fs::write(dir.join("rand.bin"), bin).unwrap();
        std::fs::create_dir_all(dir.join("sub/deeper")).unwrap();
        std::fs::write(dir.join("sub/a.txt"), "a\n").unwrap();
        std::fs::write(dir.join("sub/deeper/b.txt"), "bb\n").unwrap();
        std::fs::write(dir.join("script.py"), PY_SCRIPT).unwrap();
        std::fs::write(dir.join("script.sh"), BASH_SCRIPT).unwrap();
        dir
    })
}

/// Why a case cannot run here, if it cannot.
fn unavailable(program: &str) -> Option<String> {
    if !NATIVE {
        return Some("the host is not x86-64 Linux, so its programs cannot run natively".into());
    }
    if !is_file(Path::new(program)) {
        return Some(format!("{program} is absent"));
    }
    None
}

extern "C" {
    fn signal(sig: i32, handler: usize) -> usize;
}
const SIGINT: i32 = 2;
const SIG_DFL: usize = 0;
const SIG_IGN: usize = 1;

/// Runs `cmd` with SIGINT set to `disposition`: a shell started in the background (as CI may
/// run the tests) passes SIGINT ignored on to its children, and a shell that starts with SIGINT
/// ignored cannot trap it, so the native run would depend on how the tests were started.
fn run_with_sigint(mut cmd: std::process::Command, disposition: usize) -> Outcome {
    use std::os::unix::process::CommandExt;
    // SAFETY: signal() is async-signal-safe, as pre_exec requires.
    unsafe {
        cmd.pre_exec(move || {
            signal(SIGINT, disposition);
            Ok(())
        });
    }
    run(cmd, RUN_TIMEOUT)
}

fn host_case(case: &str, program: &str, args: &[&str]) {
    if let Some(why) = unavailable(program) {
        eprintln!("SKIPPED {case}: {why}");
        return;
    }
    let g = Guest::new(program).args(args).cwd(data_dir());
    let native = run_with_sigint(g.native_command(), SIG_DFL);
    let emu = run_with_sigint(g.emu_command(&[]), SIG_DFL);
    assert!(
        !matches!(native.status, Status::SpawnError(_) | Status::Timeout),
        "{case}: native run: {:?}",
        native.status
    );
    report(case, &compare(&native, &emu), &emu);
}

#[test]
fn coreutils_ls() {
    host_case("ls", "/usr/bin/ls", &["-1aRF", "sub"]);
}

#[test]
fn coreutils_cat() {
    host_case("cat", "/usr/bin/cat", &["-n", "lines.txt", "sub/a.txt"]);
}

#[test]
fn coreutils_sort() {
    host_case("sort", "/usr/bin/sort", &["-k3,3", "-k1,1n", "lines.txt"]);
}

#[test]
fn coreutils_wc() {
    host_case("wc", "/usr/bin/wc", &["lines.txt", "rand.bin"]);
}

#[test]
fn coreutils_head() {
    host_case("head", "/usr/bin/head", &["-n", "7", "lines.txt"]);
}

#[test]
fn coreutils_cut() {
    host_case("cut", "/usr/bin/cut", &["-d", " ", "-f", "2,3", "lines.txt"]);
}

#[test]
fn coreutils_seq() {
    host_case("seq", "/usr/bin/seq", &["-w", "1", "3", "100"]);
}

#[test]
fn coreutils_date() {
    host_case("date", "/usr/bin/date", &["-u", "-d", "@0", "+%Y-%m-%d %H:%M:%S %A"]);
}

#[test]
fn coreutils_stat() {
    host_case("stat", "/usr/bin/stat", &["-c", "%n %s %F %a", "lines.txt", "sub", "rand.bin"]);
}

#[test]
fn coreutils_md5sum_sha256sum() {
    host_case("md5sum", "/usr/bin/md5sum", &["rand.bin", "lines.txt"]);
    host_case("sha256sum", "/usr/bin/sha256sum", &["rand.bin", "lines.txt"]);
}

#[test]
fn coreutils_tr_through_bash() {
    host_case(
        "tr",
        "/bin/bash",
        &["-c", "tr a-z A-Z < lines.txt | head -5; tr -d 0-9 < lines.txt | tail -3"],
    );
}

#[test]
fn python3_json_hashlib_re() {
    host_case(
        "python3-c",
        "/usr/bin/python3",
        &[
            "-c",
            "import json, hashlib, re\n\
             d = {'b': [1, 2.5, None, True], 'a': 'caf\\u00e9', 'n': {'x': -1}}\n\
             s = json.dumps(d, sort_keys=True)\n\
             print(s, json.loads(s) == d)\n\
             data = open('rand.bin', 'rb').read()\n\
             print(hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest())\n\
             text = open('lines.txt').read()\n\
             print(len(re.findall(r'word1[0-6] (alpha|gamma)', text)), re.sub(r'(\\d+) word(\\d+)', r'\\2:\\1', text[:60]))\n\
             print(sum(i * i for i in range(10000)), 2 ** 100, 1 / 7, format(3.14159, '.3e'))",
        ],
    );
}

const PY_SCRIPT: &str = r#"import subprocess, threading, queue, hashlib, sys
out = subprocess.run(["/usr/bin/echo", "hello", "from", "echo"], capture_output=True, text=True)
print("echo:", out.stdout.strip(), out.returncode)
print("sort:", subprocess.check_output(["sort", "-r"], input=b"b\na\nc\n").decode().split())
p = subprocess.Popen(["/bin/sh", "-c", "read x; echo got $x; exit 3"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
o, _ = p.communicate(b"line\n")
print("sh:", o.decode().strip(), p.returncode)
print("false:", subprocess.call(["false"]))
try:
    subprocess.run(["/nonexistent/program"])
except FileNotFoundError as e:
    print("missing program:", e.errno)
q = queue.Queue()
lock = threading.Lock()
total = [0]
def work(n):
    h = hashlib.sha1(str(n).encode() * 1000).hexdigest()
    for _ in range(2000):
        with lock:
            total[0] += 1
    q.put((n, h[:12]))
ts = [threading.Thread(target=work, args=(i,)) for i in range(6)]
for t in ts: t.start()
for t in ts: t.join()
print("threads:", total[0], sorted(q.get() for _ in range(6)))
sys.exit(4)
"#;

#[test]
fn python3_subprocess_threading() {
    host_case("python3-script", "/usr/bin/python3", &["script.py"]);
}

#[test]
fn perl() {
    host_case(
        "perl",
        "/usr/bin/perl",
        &[
            "-e",
            r#"my %h; open(my $f, '<', 'lines.txt') or die; while (<$f>) { my @w = split; $h{$w[2]} += $w[0]; }
               printf "%s=%d\n", $_, $h{$_} for sort keys %h;
               my $s = join ',', map { $_ ** 2 } grep { $_ % 3 == 0 } 1..30; print "$s\n";
               (my $t = "Hello World") =~ s/(\w+)/\u\L$1/g; print lc($t), " ", sprintf("%.5f %e", atan2(1,1)*4, 1e100), "\n";
               print scalar(reverse "emu"), " ", join('', sort { $b cmp $a } split //, "sorted"), "\n";"#,
        ],
    );
}

#[test]
fn lua() {
    host_case(
        "lua5.4",
        "/usr/bin/lua5.4",
        &[
            "-e",
            r#"local t = {} for i = 1, 20 do t[#t + 1] = i * i end
               print(table.concat(t, " "))
               local words = {} for line in io.lines("lines.txt") do local n, w = line:match("(%d+) (%w+)") words[w] = (words[w] or 0) + tonumber(n) end
               local keys = {} for k in pairs(words) do keys[#keys + 1] = k end table.sort(keys)
               for _, k in ipairs(keys) do io.write(k, "=", words[k], " ") end print()
               print(string.format("%.10f %d %s", math.pi, 2^53 // 3, tostring(0.1 + 0.2)), math.maxinteger)
               local co = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
               print(co(), co(), co())"#,
        ],
    );
}

#[test]
fn sqlite3() {
    host_case(
        "sqlite3",
        "/usr/bin/sqlite3",
        &[
            ":memory:",
            "create table t(id integer primary key, name text, v real);\
             insert into t(name, v) values ('a', 1.5), ('b', 2.25), ('c', -3), ('a', 10);\
             create index ti on t(name);\
             select name, count(*), sum(v), avg(v) from t group by name order by name;\
             with recursive r(n) as (select 1 union all select n + 1 from r where n < 50) select sum(n), group_concat(n % 7, '') from r;\
             select printf('%.3f', 22.0 / 7), upper('emu'), length(randomblob(16)), typeof(1e10);",
        ],
    );
}

const BASH_SCRIPT: &str = r##"set -u
trap 'echo "EXIT trap, status $?"' EXIT
trap 'echo "INT trap"; int_seen=1' INT
int_seen=0
echo "pipeline: $(sort -k1,1n lines.txt | head -3 | cut -d' ' -f1 | tr '\n' ' ')"
echo "wc via pipe: $(cat lines.txt | grep -c alpha)"
x=outer
( x=inner; echo "subshell sees $x"; exit 3 )
echo "subshell status $? and x=$x"
n=$(seq 1 10 | paste -sd+ | bc 2>/dev/null || echo 55)
echo "command substitution: $n, nested $(echo "$(echo deep)")"
{ echo to-stderr >&2; echo to-stdout; } 2>/dev/null
echo "appended" > out.tmp.$$; echo "twice" >> out.tmp.$$; cat < out.tmp.$$; rm -f out.tmp.$$
cat <<EOF
here-doc with $x and $((6 * 7))
EOF
cat <<'EOF'
quoted here-doc keeps $x
EOF
head -2 lines.txt | while read -r a b c; do echo "read: $c $b"; done
for f in sub/*.txt; do printf '%s:%s\n' "$f" "$(cat "$f")"; done
kill -INT $$
echo "after kill -INT: int_seen=$int_seen"
false | true; echo "pipe status ${PIPESTATUS[*]}"
exit 5
"##;

#[test]
fn bash_script() {
    host_case("bash-script", "/bin/bash", &["script.sh"]);
}

/// Dispositions set to SIG_IGN survive execve, so a program started with SIGINT ignored sees
/// it ignored (and bash then cannot trap it).
#[test]
fn sigint_ignored_on_entry_stays_ignored() {
    let case = "sigint-ignored";
    if let Some(why) = unavailable("/bin/bash") {
        eprintln!("SKIPPED {case}: {why}");
        return;
    }
    let g = Guest::new("/bin/bash").args(["-c", "trap 'echo trapped' INT; kill -INT $$; echo done"]);
    let native = run_with_sigint(g.native_command(), SIG_IGN);
    let emu = run_with_sigint(g.emu_command(&[]), SIG_IGN);
    report(case, &compare(&native, &emu), &emu);
}

#[test]
fn bash_process_substitution() {
    host_case("bash-procsubst", "/bin/bash", &["-c", "while read -r a b c; do echo \"$c $b\"; done < <(head -3 lines.txt); cat <(echo one) /dev/fd/0 < sub/a.txt"]);
}

/// A 3-file C project built with `make -j2`, natively and under emu (make, gcc, cc1, as, collect2
/// and ld all run under emu): same make status, and the two built programs print the same.
#[test]
fn make_j2_builds_c_project() {
    let case = "make-j2";
    for p in ["/usr/bin/make", "/usr/bin/gcc"] {
        if let Some(why) = unavailable(p) {
            eprintln!("SKIPPED {case}: {why}");
            return;
        }
    }
    let project = |dir: &Path| {
        std::fs::write(dir.join("util.h"), "int square(int);\nconst char *name(void);\n").unwrap();
        std::fs::write(dir.join("square.c"), "#include \"util.h\"\nint square(int x) { return x * x; }\n")
            .unwrap();
        std::fs::write(
            dir.join("name.c"),
            "#include \"util.h\"\nconst char *name(void) { return \"emu\"; }\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("main.c"),
            "#include <stdio.h>\n#include \"util.h\"\nint main(void) {\n  for (int i = 1; i <= 5; i++) printf(\"%s %d\\n\", name(), square(i));\n  return 0;\n}\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("Makefile"),
            "CC = gcc\nCFLAGS = -O1\nprog: main.o square.o name.o\n\t$(CC) -o $@ $^\n%.o: %.c util.h\n\t$(CC) $(CFLAGS) -c $<\n",
        )
        .unwrap();
    };
    let native_dir = scratch_dir("make-native");
    let emu_dir = scratch_dir("make-emu");
    project(&native_dir);
    project(&emu_dir);
    let native = Guest::new("/usr/bin/make").args(["-j2", "-s"]).cwd(&native_dir).run_native();
    let emu = Guest::new("/usr/bin/make").args(["-j2", "-s"]).cwd(&emu_dir).run_emu(&[]);
    eprintln!("make -j2: native {:.2}s, emu {:.2}s", native.elapsed.as_secs_f64(), emu.elapsed.as_secs_f64());
    assert_eq!(native.status, Status::Exit(0), "native make failed: {}", native.stderr_text());
    let mut problems = compare(&native, &emu);
    let built_native = Guest::new(native_dir.join("prog")).run_native();
    let built_emu = Guest::new(emu_dir.join("prog")).run_native();
    if built_native.stdout != built_emu.stdout || built_native.status != built_emu.status {
        problems.push(format!(
            "the program built under emu differs: {} (status {:?})",
            first_difference(&built_native.stdout, &built_emu.stdout),
            built_emu.status
        ));
    }
    report(case, &problems, &emu);
}

/// F_GETFL as 64-bit Linux reports it: O_LARGEFILE on files from open(), not on pipes.
#[test]
fn python3_fcntl_status_flags() {
    host_case(
        "python3-fcntl",
        "/usr/bin/python3",
        &[
            "-c",
            "import os, fcntl\n\
             r, w = os.pipe()\n\
             f = os.open('lines.txt', os.O_RDONLY)\n\
             g = os.open('/proc/self/maps', os.O_RDONLY)\n\
             print([hex(fcntl.fcntl(x, fcntl.F_GETFL)) for x in (r, w, f, g)])\n",
        ],
    );
}
