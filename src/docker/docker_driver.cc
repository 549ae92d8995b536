#include "docker/docker_driver.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <set>
#include <thread>
#include <type_traits>
#include <nlohmann/json.hpp>

#include "common/ids.h"
#include "docker/container_config.h"
#include "docker/exit_status.h"
#include "docker/log_frames.h"
#include "docker/pause_image.h"

namespace berth::docker {

using nlohmann::json;

struct DockerDriver::Watch {
  std::string id;
  std::string task_id;
  std::string label;  // task_id/container
  int64_t resume_after = 0;  // skip log messages at or before this position (adopted)
  driver::ExitCallback on_exit;
  driver::OutputCallback on_output;
  std::atomic<bool> cancel{false};
  std::atomic<bool> sigkill_sent{false};  // berth killed it: a 137 is not a sign of an OOM kill
};

namespace {

// JSON text that never throws: values from env files, secrets or paths may not be UTF-8.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// j[key] if j is an object with a member of T's type, else def: the engine's answers are read
// without ever throwing.
template <typename T>
T Get(const json& j, const char* key, T def) {
  if (!j.is_object()) return def;
  auto it = j.find(key);
  if (it == j.end()) return def;
  if constexpr (std::is_same_v<T, std::string>) {
    return it->is_string() ? it->template get<std::string>() : def;
  } else if constexpr (std::is_same_v<T, bool>) {
    return it->is_boolean() ? it->template get<bool>() : def;
  } else {
    return it->is_number() ? it->template get<T>() : def;
  }
}
const json& Obj(const json& j, const char* key) {
  static const json kEmpty = json::object();
  if (!j.is_object()) return kEmpty;
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : kEmpty;
}

// "name[:tag]" or "name@digest" → the query of POST /images/create.
std::string PullQuery(const std::string& image) {
  std::string name = image, tag;
  size_t at = image.find('@');
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (at == std::string::npos && colon != std::string::npos &&
      (slash == std::string::npos || colon > slash)) {
    name = image.substr(0, colon);
    tag = image.substr(colon + 1);
  } else if (at == std::string::npos) {
    tag = "latest";
  }
  std::string q = "fromImage=" + name;
  if (!tag.empty()) q += "&tag=" + tag;
  return q;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// X-Registry-Auth: base64url of the JSON {"username","password"} (the engine's AuthConfig).
std::string RegistryAuthHeader(const std::string& json_text) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  auto j = json::parse(json_text, nullptr, false);
  json auth = json::object();
  if (j.is_object()) {
    auth["username"] = Get<std::string>(j, "username", "");
    auth["password"] = Get<std::string>(j, "password", "");
  }
  std::string in = Dump(auth), out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(k[(v >> s) & 63]);
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += {k[(v >> 18) & 63], k[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += {k[(v >> 18) & 63], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
  }
  return out;
}

std::string CursorText(int64_t position) {
  char buf[32];
  snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(position));
  return buf;
}

const char* SignalName(int sig) {
  switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGKILL: return "SIGKILL";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    case SIGQUIT: return "SIGQUIT";
    case SIGUSR1: return "SIGUSR1";
    case SIGUSR2: return "SIGUSR2";
    default: return nullptr;
  }
}

}  // namespace

DockerDriver::DockerDriver(Executor& executor, std::unique_ptr<EngineClient> engine,
                           DockerDriverOptions options)
    : executor_(executor), engine_(std::move(engine)), options_(std::move(options)) {}

DockerDriver::~DockerDriver() {
  KillAll();
  std::vector<Worker> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;  // (under the lock: StartProbe registers no probe after this)
    for (auto& [id, w] : running_) w->cancel = true;
    for (auto& [id, cancel] : probes_) *cancel = true;
    workers.swap(workers_);
  }
  for (auto& w : workers) w.thread.join();
  for (auto& [label, cursor] : cursors_) close(cursor.fd);
}

void DockerDriver::Spawn(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (it->done->load()) {
      it->thread.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
  auto done = std::make_shared<std::atomic<bool>>(false);
  workers_.push_back({std::thread([fn = std::move(fn), done] {
                        fn();
                        *done = true;
                      }),
                      done});
}

void DockerDriver::PrepareImage(const std::string& image, const std::string& registry_auth,
                               std::function<void(Status)> done) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!registry_auth.empty()) headers.push_back({"X-Registry-Auth", RegistryAuthHeader(registry_auth)});
  Spawn([this, image, headers, done = std::move(done), alive = std::weak_ptr<int>(alive_)] {
    Status result = Status::Ok();
    auto local = engine_->Call("GET", "/images/" + Escape(image) + "/json");
    if (!local.ok()) {
      result = FailedPrecondition("CannotPullContainerError: " + local.status().message());
    } else if (local->status != 200) {
      // Pull. Errors arrive in the progress stream ({"error": ...}) with status 200.
      // Progress arrives as JSON lines; an error as {"error": ...} with status 200, or (before
      // the pull starts) as {"message": ...} with an error status.
      std::string error, message, partial;
      auto line = [&](const std::string& text) {
        auto j = json::parse(text, nullptr, false);
        if (!j.is_object()) return;
        if (j.contains("error") && j["error"].is_string()) error = j["error"].get<std::string>();
        if (j.contains("message") && j["message"].is_string()) {
          message = j["message"].get<std::string>();
        }
      };
      auto pulled = engine_->Stream(
          "POST", "/images/create?" + PullQuery(image), "",
          [&](std::string_view piece) {
            partial.append(piece);
            size_t nl;
            while ((nl = partial.find('\n')) != std::string::npos) {
              line(partial.substr(0, nl));
              partial.erase(0, nl + 1);
            }
            return !closing_;
          },
          nullptr, headers);
      if (!partial.empty()) line(partial);
      if (!pulled.ok()) {
        error = pulled.status().message();
      } else if (pulled->status != 200 && error.empty()) {
        error = message.empty() ? "HTTP " + std::to_string(pulled->status) : message;
      }
      if (!error.empty()) {
        result = FailedPrecondition("CannotPullContainerError: pull image manifest has been "
                                    "retried 1 time(s): " + error);
      }
    }
    executor_.Post([done, result, alive] {
      if (alive.lock()) done(result);
    });
  });
}

Result<std::string> DockerDriver::CreateRequest(const driver::ProcessSpec& spec) {
  CreateOptions opts;
  opts.network_mode = spec.network_mode == "none" ? "none" : "host";
  if (spec.network_mode == "bridge" && spec.netns_fd < 0) opts.network_mode = "bridge";
  if (spec.netns_fd >= 0) {
    auto pause = sandboxes_.find(spec.task_id);
    if (pause == sandboxes_.end()) {
      return FailedPrecondition("CannotStartContainerError: the task's pause container is gone");
    }
    opts.network_mode = "container:" + pause->second;
  }
  opts.allow_privileged = options_.allow_privileged;
  opts.task_container_ids = task_containers_[spec.task_id];
  opts.berth_labels = options_.labels;
  opts.berth_labels["berth.task-id"] = spec.task_id;
  opts.berth_labels["berth.container"] = spec.container_name;
  auto body = CreateBody(spec, opts);
  if (!body.ok()) return FailedPrecondition(body.status().message());
  return Dump(*body);
}

Result<std::string> DockerDriver::CreateContainer(const driver::ProcessSpec& spec,
                                                  const std::string& body) {
  // A random tail, as the agent's names have: a container a killed daemon created but never
  // started (and the next daemon's sweep has not removed yet) cannot block this name.
  std::string name =
      "berth-" + spec.task_id.substr(0, 12) + "-" + spec.container_name + "-" + RandomHex(8);
  auto created = engine_->Call("POST", "/containers/create?name=" + Escape(name), body);
  if (!created.ok()) {
    return FailedPrecondition("CannotCreateContainerError: " + created.status().message());
  }
  if (created->status != 201) {
    return FailedPrecondition("CannotCreateContainerError: Error response from daemon: " +
                              EngineClient::MessageOf(*created));
  }
  auto j = json::parse(created->body, nullptr, false);
  std::string id = Get<std::string>(j, "Id", "");
  if (id.empty()) return Internal("Docker answered create without an Id: " + created->body);
  return id;
}

Result<std::string> DockerDriver::StartContainer(const std::string& id) {
  auto started = engine_->Call("POST", "/containers/" + id + "/start");
  if (!started.ok() || (started->status != 204 && started->status != 304)) {
    std::string why = started.ok() ? EngineClient::MessageOf(*started) : started.status().message();
    (void)engine_->Call("DELETE", "/containers/" + id + "?force=1&v=1");
    return FailedPrecondition("CannotStartContainerError: Error response from daemon: " + why);
  }
  return id;
}

Result<std::string> DockerDriver::Start(const driver::ProcessSpec& spec,
                                        driver::ExitCallback on_exit,
                                        driver::OutputCallback on_output) {
  auto body = CreateRequest(spec);
  if (!body.ok()) return body.status();
  auto id = CreateContainer(spec, *body);
  if (id.ok()) id = StartContainer(*id);
  if (id.ok()) Follow(*id, spec, 0, std::move(on_exit), std::move(on_output));
  return id;
}

void DockerDriver::StartAsync(const driver::ProcessSpec& spec, driver::ExitCallback on_exit,
                              driver::OutputCallback on_output, CreatedCallback on_created,
                              StartedCallback on_started) {
  auto body = CreateRequest(spec);
  if (!body.ok()) return on_started(body.status());
  // Three steps, each answer back on the control thread: create (worker), the id recorded
  // (control), start (worker), the container followed (control). A daemon going away meanwhile
  // leaves the container to the next one's leftovers sweep.
  struct Pending {
    driver::ProcessSpec spec;
    driver::ExitCallback on_exit;
    driver::OutputCallback on_output;
    CreatedCallback on_created;
    StartedCallback on_started;
  };
  auto p = std::make_shared<Pending>(
      Pending{spec, std::move(on_exit), std::move(on_output), std::move(on_created),
              std::move(on_started)});
  std::weak_ptr<int> alive = alive_;
  Spawn([this, p, body = std::move(*body), alive] {
    auto id = CreateContainer(p->spec, body);
    executor_.Post([this, p, id = std::move(id), alive]() mutable {
      if (!alive.lock()) return;
      if (!id.ok()) return p->on_started(std::move(id));
      p->on_created(*id);
      Spawn([this, p, id = *id, alive] {
        auto started = StartContainer(id);
        executor_.Post([this, p, started = std::move(started), alive]() mutable {
          if (!alive.lock()) return;
          if (started.ok()) Follow(*started, p->spec, 0, std::move(p->on_exit), std::move(p->on_output));
          p->on_started(std::move(started));
        });
      });
    });
  });
}

void DockerDriver::Follow(const std::string& id, const driver::ProcessSpec& spec,
                          int64_t resume_after, driver::ExitCallback on_exit,
                          driver::OutputCallback on_output) {
  task_containers_[spec.task_id][spec.container_name] = id;
  auto w = std::make_shared<Watch>();
  w->id = id;
  w->task_id = spec.task_id;
  w->label = spec.task_id + "/" + spec.container_name;
  w->resume_after = resume_after;
  w->on_exit = std::move(on_exit);
  w->on_output = std::move(on_output);
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_[id] = w;
    if (!options_.cursor_dir.empty() && !cursors_.count(w->label)) {
      std::string path = options_.cursor_dir + "/" + id;
      int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
      if (fd >= 0) cursors_[w->label] = {id, fd};
    }
  }
  Spawn([this, w] { RunWatch(w); });
}

Result<std::vector<std::pair<std::string, std::string>>> DockerDriver::Adopt(
    const std::string& runtime_id, const driver::ProcessSpec& spec, driver::ExitCallback on_exit,
    driver::OutputCallback on_output) {
  if (!CanAdopt()) return FailedPrecondition("this daemon keeps no log cursors");
  auto inspected = engine_->Call("GET", "/containers/" + Escape(runtime_id) + "/json");
  if (!inspected.ok()) return inspected.status();
  if (inspected->status == 404) return NotFound("container " + runtime_id + " no longer exists");
  if (inspected->status != 200) {
    return Internal("inspecting " + runtime_id + ": " + EngineClient::MessageOf(*inspected));
  }
  auto j = json::parse(inspected->body, nullptr, false);
  const json& labels = Obj(Obj(j, "Config"), "Labels");
  if (Get<std::string>(labels, "berth.task-id", "") != spec.task_id ||
      Get<std::string>(labels, "berth.container", "") != spec.container_name) {
    return NotFound("container " + runtime_id + " is not the task's any more");
  }
  std::vector<std::pair<std::string, std::string>> env;
  const json& config = Obj(j, "Config");
  if (auto e = config.find("Env"); e != config.end() && e->is_array()) {
    for (const auto& kv : *e) {
      if (!kv.is_string()) continue;
      std::string s = kv.get<std::string>();
      size_t eq = s.find('=');
      if (eq != std::string::npos) env.push_back({s.substr(0, eq), s.substr(eq + 1)});
    }
  }
  int64_t resume_after = 0;
  std::string id = Get<std::string>(j, "Id", runtime_id);
  if (int fd = open((options_.cursor_dir + "/" + id).c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    char buf[32] = {};
    ssize_t n = pread(fd, buf, 20, 0);
    close(fd);
    if (n == 20) resume_after = strtoll(buf, nullptr, 10);
  }
  Follow(id, spec, resume_after, std::move(on_exit), std::move(on_output));
  return env;
}

void DockerDriver::OutputCommitted(const std::string& task_id, const std::string& container_name,
                                   int64_t position) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cursors_.find(task_id + "/" + container_name);
  if (it == cursors_.end()) return;
  std::string text = CursorText(position);
  // 20 bytes in place: one write, no rename, so a reader sees the old or the new value.
  (void)!pwrite(it->second.fd, text.data(), text.size(), 0);
}

void DockerDriver::RunWatch(const std::shared_ptr<Watch>& w) {
  LogFrameDecoder frames;
  std::string message;  // the frame being assembled: "TIMESTAMP payload"
  MessagePositions positions;
  auto sink = [&](LogFrameDecoder::Stream s, std::string_view data) {
    message.append(data);
    if (!frames.at_boundary()) return;
    std::string_view payload;
    int64_t position = 0;
    if (positions.Next(message, &payload, &position) && position > w->resume_after) {
      w->on_output(s == LogFrameDecoder::Stream::kStderr ? driver::Stream::kStderr
                                                         : driver::Stream::kStdout,
                   payload, position);
    }
    message.clear();
  };
  // From the start of the cursor's second (engines include messages at `since`), so that the
  // positions come out as they did the first time; the ones up to the cursor are skipped.
  std::string since;
  if (w->resume_after > 0) since = "&since=" + std::to_string(w->resume_after / 1'000'000'000);
  (void)engine_->Stream(
      "GET", "/containers/" + w->id + "/logs?follow=1&stdout=1&stderr=1&timestamps=1" + since, "",
      [&](std::string_view piece) {
        frames.Feed(piece, sink);
        return true;
      },
      &w->cancel);
  auto waited = engine_->Stream("POST", "/containers/" + w->id + "/wait", "",
                                [](std::string_view) { return true; }, &w->cancel);
  ExitRead read;
  read.inspect = [&] { return engine_->Call("GET", "/containers/" + w->id + "/json"); };
  read.pause = [&](int64_t ms) {
    if (!w->cancel) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  };
  read.berth_sent_sigkill = w->sigkill_sent || w->cancel;
  read.oom_recheck_ms = options_.oom_recheck_ms;
  driver::ExitStatus st = ReadExitStatus(read);
  (void)waited;
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_.erase(w->id);
  }
  std::string id = w->id;
  executor_.Post([this, w, st, alive = std::weak_ptr<int>(alive_)] {
    if (!alive.lock()) return;
    w->on_exit(st);
    std::string id = w->id;
    std::string task_id = w->task_id;
    executor_.RunAfter(options_.remove_delay_ms, [this, id, task_id, alive] {
      if (!alive.lock()) return;
      auto t = task_containers_.find(task_id);
      if (t != task_containers_.end()) {
        for (auto it = t->second.begin(); it != t->second.end(); ++it) {
          if (it->second == id) {
            t->second.erase(it);
            break;
          }
        }
        if (t->second.empty()) {
          // The task's last container: its pause container and task-scoped volumes go with it,
          // as the agent cleans a task up.
          task_containers_.erase(t);
          std::string pause;
          if (auto p = stopped_pauses_.find(task_id); p != stopped_pauses_.end()) {
            pause = p->second;
            stopped_pauses_.erase(p);
          }
          return Remove(id, task_id, pause);
        }
      }
      Remove(id);
    });
  });
}

void DockerDriver::Remove(const std::string& id, const std::string& volumes_of_task,
                          const std::string& then_pause) {
  if (closing_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = cursors_.begin(); it != cursors_.end(); ++it) {
      if (it->second.container_id != id) continue;
      close(it->second.fd);
      cursors_.erase(it);
      break;
    }
  }
  if (!options_.cursor_dir.empty()) unlink((options_.cursor_dir + "/" + id).c_str());
  Spawn([this, id, volumes_of_task, then_pause] {
    (void)engine_->Call("DELETE", "/containers/" + id + "?force=1&v=1");
    if (!then_pause.empty()) (void)engine_->Call("DELETE", "/containers/" + then_pause + "?force=1&v=1");
    if (!volumes_of_task.empty()) RemoveTaskVolumes(volumes_of_task);
  });
}

void DockerDriver::RemoveTaskVolumes(const std::string& task_id) {
  // container_config.cc names a task-scoped volume ecs-<task id>-<volume name>.
  std::string prefix = "ecs-" + task_id + "-";
  json filters = {{"name", json::array({prefix})}};
  auto listed = engine_->Call("GET", "/volumes?filters=" + Escape(Dump(filters)));
  if (!listed.ok() || listed->status != 200) return;
  auto j = json::parse(listed->body, nullptr, false);
  auto volumes = j.is_object() ? j.find("Volumes") : j.end();
  if (!j.is_object() || volumes == j.end() || !volumes->is_array()) return;
  for (const auto& v : *volumes) {
    std::string name = Get<std::string>(v, "Name", "");
    if (name.rfind(prefix, 0) == 0) (void)engine_->Call("DELETE", "/volumes/" + Escape(name));
  }
}

Result<std::string> DockerDriver::StartProbe(const std::string& container_id,
                                             const driver::ProcessSpec& spec,
                                             driver::ExitCallback on_exit) {
  // Attached, not detached: Podman (4.x) never reports a detached exec as finished.
  json body = {{"AttachStdout", true}, {"AttachStderr", true}, {"Cmd", spec.argv}};
  auto created = engine_->Call("POST", "/containers/" + container_id + "/exec", Dump(body));
  if (!created.ok()) return created.status();
  if (created->status != 201) {
    return FailedPrecondition("exec: " + EngineClient::MessageOf(*created));
  }
  std::string exec_id = Get<std::string>(json::parse(created->body, nullptr, false), "Id", "");
  if (exec_id.empty()) return Internal("Docker answered exec without an Id: " + created->body);
  // Set by Signal (the runner's timeout) or at shutdown: the probe's thread stops waiting for an
  // exec that hangs (the command itself is left to end with the container, as Docker does).
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return Unavailable("the Docker driver is shutting down");
    probes_[exec_id] = cancel;
  }
  Spawn([this, exec_id, cancel, on_exit = std::move(on_exit), alive = std::weak_ptr<int>(alive_)] {
    driver::ExitStatus st;
    st.exit_code = 1;
    // The start call streams the command's output (discarded) until it ends.
    auto started = engine_->Stream("POST", "/exec/" + exec_id + "/start",
                                   Dump(json{{"Detach", false}, {"Tty", false}}),
                                   [](std::string_view) { return true; }, cancel.get());
    for (int i = 0; started.ok() && started->status == 200 && i < 50 && !*cancel; ++i) {
      auto r = engine_->Call("GET", "/exec/" + exec_id + "/json");
      if (!r.ok() || r->status != 200) break;
      auto j = json::parse(r->body, nullptr, false);
      if (j.is_object() && !Get<bool>(j, "Running", false)) {
        st.exit_code = Get<int>(j, "ExitCode", 1);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      probes_.erase(exec_id);
    }
    executor_.Post([on_exit, st, alive] {
      if (alive.lock()) on_exit(st);
    });
  });
  return "exec-" + exec_id;
}

Status DockerDriver::Signal(const std::string& runtime_id, int sig) {
  if (runtime_id.rfind("exec-", 0) == 0) {  // a probe past its timeout: stop waiting for it
    std::lock_guard<std::mutex> lock(mu_);
    auto it = probes_.find(runtime_id.substr(5));
    if (it != probes_.end()) *it->second = true;
    return Status::Ok();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = running_.find(runtime_id);
    if (it == running_.end()) return Status::Ok();
    if (sig == SIGKILL) it->second->sigkill_sent = true;
  }
  const char* name = SignalName(sig);
  std::string s = name ? name : std::to_string(sig);
  auto r = engine_->Call("POST", "/containers/" + runtime_id + "/kill?signal=" + s);
  if (!r.ok()) return r.status();
  if (r->status == 204 || r->status == 404 || r->status == 409) return Status::Ok();  // gone
  return Internal("docker kill " + runtime_id + ": " + EngineClient::MessageOf(*r));
}

void DockerDriver::KillAll() {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, w] : running_) ids.push_back(id);
  }
  for (const auto& id : ids) (void)engine_->Call("POST", "/containers/" + id + "/kill?signal=SIGKILL");
  for (const auto& [task, id] : sandboxes_) {
    (void)engine_->Call("DELETE", "/containers/" + id + "?force=1&v=1");
  }
  sandboxes_.clear();
  // Their watchers end as the containers do; wait for them (bounded).
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (running_.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

int DockerDriver::SweepLeftovers() {
  json label = json::array();
  for (const auto& [k, v] : options_.labels) label.push_back(k + "=" + v);
  if (label.empty()) return 0;  // nothing identifies this daemon's containers
  json filters = {{"label", label}};
  auto listed = engine_->Call("GET", "/containers/json?all=1&filters=" + Escape(Dump(filters)));
  if (!listed.ok() || listed->status != 200) return 0;
  int removed = 0;
  std::set<std::string> swept_tasks;
  auto j = json::parse(listed->body, nullptr, false);
  if (!j.is_array()) return 0;
  // Pause containers last: Podman refuses to remove one that others still share.
  std::stable_partition(j.begin(), j.end(), [](const json& c) {
    return Get<std::string>(Obj(c, "Labels"), "berth.container", "") != "~internal~ecs~pause";
  });
  for (const auto& c : j) {
    std::string id = Get<std::string>(c, "Id", "");
    if (id.empty()) continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      bool adopted = running_.count(id) > 0;
      for (const auto& [label, cursor] : cursors_) adopted |= cursor.container_id == id;
      if (adopted) continue;
    }
    bool sandbox = false;
    for (const auto& [task, pause] : sandboxes_) sandbox |= pause == id;
    if (sandbox) continue;
    auto r = engine_->Call("DELETE", "/containers/" + id + "?force=1&v=1");
    if (r.ok() && r->status == 204) ++removed;
    if (!options_.cursor_dir.empty()) unlink((options_.cursor_dir + "/" + id).c_str());
    swept_tasks.insert(Get<std::string>(Obj(c, "Labels"), "berth.task-id", ""));
  }
  for (const auto& task_id : swept_tasks) {
    bool adopted = task_containers_.count(task_id) > 0;
    if (!task_id.empty() && !adopted) RemoveTaskVolumes(task_id);
  }
  return removed;
}

Status DockerDriver::EnsurePauseImage() {
  if (pause_image_ready_) return Status::Ok();
  auto local = engine_->Call("GET", "/images/" + Escape(kPauseImage) + "/json");
  if (!local.ok()) return local.status();
  if (local->status != 200) {
    // The tag inside `repo`: Podman ignores a separate `tag` on import (Docker takes either).
    auto imported =
        engine_->Call("POST", "/images/create?fromSrc=-&repo=" + Escape(kPauseImage),
                      PauseImageTar(), 60000, {{"Content-Type", "application/x-tar"}});
    if (!imported.ok()) return imported.status();
    if (imported->status != 200) {
      return Internal("importing " + std::string(kPauseImage) + ": " +
                      EngineClient::MessageOf(*imported));
    }
  }
  pause_image_ready_ = true;
  return Status::Ok();
}

Result<int> DockerDriver::CreateTaskSandbox(const std::string& task_id) {
  if (Status st = EnsurePauseImage(); !st.ok()) {
    return FailedPrecondition("the pause container's image: " + st.message());
  }
  json labels = json::object();
  for (const auto& [k, v] : options_.labels) labels[k] = v;
  labels["berth.task-id"] = task_id;
  labels["berth.container"] = "~internal~ecs~pause";
  json body = {{"Image", kPauseImage},
               {"Entrypoint", json::array({"/pause"})},
               {"Labels", labels},
               {"HostConfig", {{"NetworkMode", "none"}, {"CpuShares", 2}}}};
  std::string name = "berth-" + task_id.substr(0, 12) + "-internalecspause-" + RandomHex(8);
  auto created = engine_->Call("POST", "/containers/create?name=" + Escape(name), Dump(body));
  if (!created.ok()) return created.status();
  if (created->status != 201) {
    return FailedPrecondition("creating the pause container: " + EngineClient::MessageOf(*created));
  }
  std::string id = Get<std::string>(json::parse(created->body, nullptr, false), "Id", "");
  sandboxes_[task_id] = id;
  auto started = engine_->Call("POST", "/containers/" + id + "/start");
  if (!started.ok() || started->status != 204) {
    ReleaseTaskSandbox(task_id);
    return FailedPrecondition("starting the pause container: " +
                              (started.ok() ? EngineClient::MessageOf(*started)
                                            : started.status().message()));
  }
  auto inspected = engine_->Call("GET", "/containers/" + id + "/json");
  int pid = 0;
  if (inspected.ok() && inspected->status == 200) {
    auto j = json::parse(inspected->body, nullptr, false);
    pid = Get<int>(Obj(j, "State"), "Pid", 0);
  }
  int fd = pid > 0 ? open(("/proc/" + std::to_string(pid) + "/ns/net").c_str(),
                          O_RDONLY | O_CLOEXEC)
                   : -1;
  if (fd < 0) {
    ReleaseTaskSandbox(task_id);
    return FailedPrecondition("cannot open the pause container's network namespace");
  }
  return fd;
}

void DockerDriver::ReleaseTaskSandbox(const std::string& task_id) {
  auto it = sandboxes_.find(task_id);
  if (it == sandboxes_.end()) return;
  std::string id = it->second;
  sandboxes_.erase(it);
  if (task_containers_.count(task_id)) {
    // Its containers are kept a while (remove delay) and Podman will not remove a pause
    // container others share: stop it now, remove it with the task's last container.
    stopped_pauses_[task_id] = id;
    Spawn([this, id] { (void)engine_->Call("POST", "/containers/" + id + "/kill?signal=SIGKILL"); });
    return;
  }
  Spawn([this, id] { (void)engine_->Call("DELETE", "/containers/" + id + "?force=1&v=1"); });
}

bool DockerDriver::BridgesTasks() {
  if (!has_bridge_) {
    auto r = engine_->Call("GET", "/networks/bridge");
    if (!r.ok()) return false;  // ask again next time
    has_bridge_ = r->status == 200;
  }
  return *has_bridge_;
}

nlohmann::json DockerDriver::NetworkBindings(const std::string& runtime_id) {
  json out = json::array();
  auto r = engine_->Call("GET", "/containers/" + Escape(runtime_id) + "/json");
  if (!r.ok() || r->status != 200) return out;
  auto j = json::parse(r->body, nullptr, false);
  const json& ports = Obj(Obj(j, "NetworkSettings"), "Ports");
  for (const auto& [key, list] : ports.items()) {
    if (!list.is_array()) continue;  // exposed, not published
    size_t slash = key.find('/');
    int container_port = atoi(key.substr(0, slash).c_str());
    std::string protocol = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
    for (const auto& b : list) {
      int host_port = atoi(Get<std::string>(b, "HostPort", "0").c_str());
      if (host_port <= 0) continue;
      out.push_back({{"bindIP", Get<std::string>(b, "HostIp", "127.0.0.1")},
                     {"containerPort", container_port},
                     {"hostPort", host_port},
                     {"protocol", protocol}});
    }
  }
  return out;
}

Result<int> DockerDriver::OpenNetworkNamespace(const std::string& runtime_id) {
  auto r = engine_->Call("GET", "/containers/" + Escape(runtime_id) + "/json");
  if (!r.ok()) return r.status();
  if (r->status != 200) return NotFound("container " + runtime_id + " is gone");
  auto j = json::parse(r->body, nullptr, false);
  if (Get<std::string>(Obj(j, "HostConfig"), "NetworkMode", "") != "bridge") {
    return NotFound("container " + runtime_id + " has no network namespace of its own");
  }
  int pid = Get<int>(Obj(j, "State"), "Pid", 0);
  int fd = pid > 0 ? open(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC)
                   : -1;
  if (fd < 0) return NotFound("container " + runtime_id + " is not running");
  return fd;
}

Result<driver::ContainerStats> DockerDriver::Stats(const std::string& runtime_id) {
  auto r = engine_->Call("GET", "/containers/" + runtime_id + "/stats?stream=false&one-shot=true");
  if (!r.ok()) return r.status();
  if (r->status != 200) return NotFound("container " + runtime_id + " is not running");
  auto j = json::parse(r->body, nullptr, false);
  driver::ContainerStats s;
  if (!j.is_object()) return s;
  const json& cpu = Obj(Obj(j, "cpu_stats"), "cpu_usage");
  s.cpu_user_ns = Get<uint64_t>(cpu, "usage_in_usermode", 0);
  s.cpu_system_ns = Get<uint64_t>(cpu, "usage_in_kernelmode", 0);
  const json& mem = Obj(j, "memory_stats");
  s.memory_bytes = Get<uint64_t>(mem, "usage", 0);
  s.memory_limit_bytes = Get<uint64_t>(mem, "limit", 0);
  s.pids = Get<int>(Obj(j, "pids_stats"), "current", 0);
  return s;
}

}  // namespace berth::docker
