#!/usr/bin/python3
"""deploy/, checked offline (no image can be built or pulled here):

- yamllint --strict accepts every YAML file; `docker-compose config`
  (Debian's docker-compose) accepts compose.yaml; `promtool check config`
  the stack's Prometheus configuration; the Grafana dashboard is JSON;
- the Dockerfile: two stages on debian:bookworm-slim, the build stage's
  packages are among install-deps.sh's, the runtime stage's packages
  provide every library the churnwatch binary links directly (objdump),
  a non-root USER, an exec-form ENTRYPOINT, EXPOSE of the metrics port;
- k8s/: selectors, names and references agree (Service, ConfigMap,
  Secret); static membership from the pod's name; every ${NAME} of the
  ConfigMap's configuration is set by the pod; the probes use the port
  the configuration's http_listen names and the paths churnwatch serves
  (liveness /livez, readiness /readyz); the grace period exceeds run's
  10 s stop; memory is requested;
- live: both configurations pass `check-config`; the ConfigMap's, with
  the pod's variables set (plaintext against the embedded broker), runs:
  the probe paths answer 200 once a population is processed, and every
  metric the Grafana dashboard queries is in its /metrics.

usage: deploy_check.py CHURNWATCH SOURCE_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

BIN, SRC = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
from checks import Checks, free_port  # noqa: E402

DEPLOY = os.path.join(SRC, "deploy")
check = Checks("deploy_check")
SANITIZER = r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:"


def tool(args, what):
    r = subprocess.run(args, capture_output=True, text=True, cwd=SRC)
    check(r.returncode == 0, f"{what}: {r.stdout}{r.stderr}".strip())


def listen_port(cfg):
    m = re.search(r'^\s*http_listen\s*=\s*"[^"]*:(\d+)"', cfg, re.M)
    return int(m.group(1)) if m else None


def linters():
    yamls = [os.path.join(d, f) for d, _, fs in os.walk(DEPLOY) for f in fs
             if f.endswith((".yaml", ".yml")) or f == ".yamllint"]
    check(len(yamls) >= 9, f"only {len(yamls)} YAML files under deploy/")
    tool(["yamllint", "--strict", "-c", os.path.join(DEPLOY, ".yamllint")] +
         yamls, "yamllint")
    tool(["docker-compose", "-f", "deploy/compose.yaml", "config", "-q"],
         "docker-compose config")
    tool(["promtool", "check", "config", "deploy/compose/prometheus.yml"],
         "promtool check config")


def dockerfile(port):
    text = open(os.path.join(DEPLOY, "Dockerfile")).read()
    stages = re.findall(r"^FROM (\S+)", text, re.M)
    check(stages == ["debian:bookworm-slim"] * 2,
          f"Dockerfile stages: {stages}")
    installs = [set(re.findall(r"[a-z0-9][a-z0-9.+-]+", m)) - {"install"}
                for m in re.findall(r"apt-get install -y --no-install-recommends"
                                    r"((?:\s+\\?\s*[a-z0-9.+-]+)+)", text)]
    check(len(installs) == 2, f"Dockerfile: {len(installs)} apt-get installs")
    if len(installs) != 2:
        return
    deps = open(os.path.join(DEPLOY, "install-deps.sh")).read()
    listed = set(re.search(r'PACKAGES="([^"]*)"', deps).group(1).split())
    check(installs[0] <= listed, "build stage packages not in install-deps.sh: "
          f"{sorted(installs[0] - listed)}")
    needed = re.findall(r"NEEDED\s+(\S+)", subprocess.run(
        ["objdump", "-p", BIN], capture_output=True, text=True).stdout)
    ldd = dict(re.findall(r"^\s*(\S+) => (\S+)", subprocess.run(
        ["ldd", BIN], capture_output=True, text=True).stdout, re.M))
    base = {"libc6", "libgcc-s1"}
    for lib in needed:
        if re.match(r"lib(asan|ubsan)\.", lib):
            continue  # the sanitizer build's, not the image's
        r = subprocess.run(["dpkg", "-S", ldd.get(lib, lib)],
                           capture_output=True, text=True)
        if r.returncode:
            r = subprocess.run(["dpkg", "-S", os.path.realpath(
                ldd.get(lib, lib))], capture_output=True, text=True)
        pkg = r.stdout.split(":")[0] if r.returncode == 0 else "?"
        check(pkg in installs[1] | base,
              f"{lib} (package {pkg}) is not installed by the runtime stage")
    user = re.findall(r"^USER (\S+)", text, re.M)
    check(user and not user[-1].startswith(("0", "root")),
          f"Dockerfile USER: {user}")
    entry = re.findall(r"^ENTRYPOINT (.*)$", text, re.M)
    check(entry and entry[-1].startswith("[") and
          json.loads(entry[-1])[0].endswith("churnwatch"),
          f"ENTRYPOINT not in exec form: {entry}")
    check(re.findall(r"^EXPOSE (\d+)", text, re.M) == [str(port)],
          f"EXPOSE is not the metrics port {port}")


def k8s_docs():
    docs = {}
    for f in sorted(os.listdir(os.path.join(DEPLOY, "k8s"))):
        for d in yaml.safe_load_all(open(os.path.join(DEPLOY, "k8s", f))):
            docs[(d["kind"], d["metadata"]["name"] if "metadata" in d
                  else f)] = d
    return docs


def k8s(docs):
    """The ConfigMap's configuration, and the pod's environment."""
    sts = docs.get(("StatefulSet", "churnwatch"))
    check(sts is not None, f"no StatefulSet churnwatch: {list(docs)}")
    spec = sts["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"]["labels"]
    check(spec["selector"]["matchLabels"].items() <= labels.items(),
          "the StatefulSet's selector does not select its pods")
    svc = docs.get(("Service", spec["serviceName"]))
    check(svc and svc["spec"].get("clusterIP") == "None" and
          svc["spec"]["selector"].items() <= labels.items(),
          f"no headless Service {spec['serviceName']} selecting the pods")
    c = pod["containers"][0]
    cm = docs.get(("ConfigMap", pod["volumes"][0]["configMap"]["name"]))
    check(cm and "churnwatch.cfg" in cm["data"],
          "the config volume's ConfigMap has no churnwatch.cfg")
    cfg = cm["data"]["churnwatch.cfg"] if cm else ""
    check("/etc/churnwatch/churnwatch.cfg" in c["args"] and
          c["volumeMounts"][0]["mountPath"] == "/etc/churnwatch",
          "the configuration is not mounted where `run -c` reads it")
    env = {e["name"]: e.get("value") for e in c["env"]}
    check(any(e["name"] == "POD_NAME" and e.get("valueFrom", {}).get(
        "fieldRef", {}).get("fieldPath") == "metadata.name" for e in c["env"]),
        "POD_NAME is not the pod's name")
    check(re.search(r'group_instance_id\s*=\s*"\$\{POD_NAME\}"', cfg),
          "the configuration does not use static membership by pod name")
    for ref in c.get("envFrom", []):
        sec = docs.get(("Secret", ref["secretRef"]["name"]))
        check(sec is not None, f"no Secret {ref['secretRef']['name']}")
        env.update(sec.get("stringData", {}) if sec else {})
    code = re.sub(r"(^|\s)//.*$", "", cfg, flags=re.M)  # comments aside
    used = set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}", code))
    check(used and used <= set(env),
          f"variables the pod does not set: {sorted(used - set(env))}")
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    port = listen_port(cfg)
    paths = {}
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        g = c.get(probe, {}).get("httpGet", {})
        p = ports.get(g.get("port"), g.get("port"))
        check(p == port, f"{probe} port {g.get('port')} ({p}) is not "
              f"http_listen's {port}")
        paths[probe] = g.get("path")
    check(paths["livenessProbe"] == "/livez" and
          paths["readinessProbe"] == "/readyz" and
          paths["startupProbe"] in ("/livez", "/readyz"),
          f"probe paths: {paths}")
    ann = spec["template"]["metadata"].get("annotations", {})
    check(ann.get("prometheus.io/port") == str(port) and
          ann.get("prometheus.io/path") == "/metrics",
          f"scrape annotations: {ann}")
    check(pod.get("terminationGracePeriodSeconds", 30) > 10,
          "terminationGracePeriodSeconds is not above run's 10 s stop")
    check(c["resources"]["requests"].get("memory"), "no memory request")
    check(pod["securityContext"].get("runAsNonRoot") is True,
          "the pod may run as root")
    return cfg, env, paths


def compose(port):
    cfg = open(os.path.join(DEPLOY, "compose", "churnwatch.cfg")).read()
    c = yaml.safe_load(open(os.path.join(DEPLOY, "compose.yaml")))
    prom = yaml.safe_load(open(os.path.join(DEPLOY, "compose",
                                            "prometheus.yml")))
    target = prom["scrape_configs"][0]["static_configs"][0]["targets"][0]
    check(listen_port(cfg) == port and
          c["services"]["churnwatch"]["ports"] == [f"{port}:{port}"] and
          target == f"churnwatch:{port}",
          f"compose: http_listen {listen_port(cfg)}, ports "
          f"{c['services']['churnwatch']['ports']}, Prometheus target {target}")
    return cfg, c["services"]["churnwatch"]["environment"]


def check_config(cfg, env, name, tmp):
    open(f"{tmp}/{name}.cfg", "w").write(cfg)
    r = subprocess.run([BIN, "check-config", "-c", f"{tmp}/{name}.cfg"],
                       env=dict(os.environ, **{k: v for k, v in env.items()
                                               if v}),
                       capture_output=True, text=True)
    check(r.returncode == 0, f"check-config of the {name} configuration: "
          f"{r.stderr}")


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}",
                                    timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def live(cfg, env, paths, tmp):
    """Runs the ConfigMap's configuration on the embedded broker."""
    broker = subprocess.Popen(
        [BIN, "broker", "-c", os.path.join(
            SRC, "tests/data/configs/good/contract.cfg"), "--partitions", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    run = None
    try:
        bs = broker.stdout.readline().strip().split("=", 1)[1]
        port = free_port()  # 9464 may be taken on a shared machine
        env = dict(os.environ, **{k: v for k, v in env.items() if v})
        env.update(KAFKA_BOOTSTRAP_SERVERS=bs,
                   KAFKA_SECURITY_PROTOCOL="plaintext", POD_NAME="churnwatch-0")
        cfg = re.sub(r'(http_listen\s*=\s*"[^"]*:)\d+', rf"\g<1>{port}", cfg)
        open(f"{tmp}/k8s.cfg", "w").write(cfg)
        gen = subprocess.run([BIN, "gen", "-c", f"{tmp}/k8s.cfg", "--customers",
                              "300", "--days", "60"], env=env,
                             capture_output=True, text=True)
        check(gen.returncode == 0, f"gen: {gen.stderr[-500:]}")
        run = subprocess.Popen([BIN, "run", "-c", f"{tmp}/k8s.cfg"], env=env,
                               stderr=open(f"{tmp}/run.err", "w"))
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                st, text = get(port, "/metrics")
                if st == 200 and re.search(
                        r"^churnwatch_consumer_lag_records\{.*\} 0$", text,
                        re.M) and get(port, "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        for probe, path in paths.items():
            st, body = get(port, path)
            check(st == 200, f"{probe} {path}: {st} {body.strip()}")
        st, text = get(port, "/metrics")
        served = set(re.findall(r"^([a-z_:][a-z0-9_:]*)[{ ]", text, re.M))
        dash = json.load(open(os.path.join(DEPLOY, "grafana",
                                           "churnwatch.json")))
        exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
        exprs += [v["query"] for v in dash["templating"]["list"]
                  if v["type"] == "query"]
        queried = set(re.findall(r"churnwatch_[a-z0-9_]+", " ".join(exprs)))
        check(len(queried) >= 12, f"the dashboard queries only {queried}")
        check(queried <= served, "metrics the dashboard queries that /metrics "
              f"does not have: {sorted(queried - served)}")
    finally:
        if run:
            run.terminate()
            check(run.wait(15) == 0, "run exit status after SIGTERM")
            log = open(f"{tmp}/run.err").read()
            check(not re.search(SANITIZER, log), "sanitizer: " + log[-2000:])
            if check.failed:
                print("--- run.err\n" + "".join(open(f"{tmp}/run.err")
                                               .readlines()[-6:]))
        broker.kill()
        broker.wait()


def main():
    tmp = tempfile.mkdtemp()
    try:
        linters()
        docs = k8s_docs()
        cfg, env, paths = k8s(docs)
        port = listen_port(cfg)
        dockerfile(port)
        ccfg, cenv = compose(port)
        check_config(ccfg, cenv, "compose", tmp)
        check_config(cfg, {**env, "POD_NAME": "churnwatch-0"}, "ConfigMap",
                     tmp)
        live(cfg, env, paths, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check.finish()


if __name__ == "__main__":
    main()
