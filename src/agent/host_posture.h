// Posture collectors for Linux hosts (DESIGN §3.4, §3.6; docs/agent.md lists every key's source).
//
// Each collector reads files below an injectable root (`HostEnvironment::root`, "/" on a real host,
// a fixture tree in tests) or runs a command through an injectable runner, and adds the posture
// keys it can *determine* to a JSON object. A key whose value the collector cannot know (file
// missing or unreadable, command absent or refused, unrecognised format) is left out, never
// guessed: a missing key means "not reported" to the compliance engine.
//
// The parsers (ParseOsRelease, ParseMountInfoRoot, NftablesFiltersInput, IptablesFiltersInput,
// CountPendingSecurityUpdates) are pure functions of their text and never throw; they are fuzzed.
// Collectors are thread-compatible (no shared state).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json_fwd.hpp"

namespace gatehouse::agent {

struct CommandResult {
  int exit_code = 0;
  std::string output;  // standard output only
};
// Runs argv (argv[0] looked up on PATH) with LC_ALL=C. NotFound when the program does not exist;
// other errors when it cannot be started or times out. A non-zero exit is a result, not an error.
using CommandRunner =
    std::function<absl::StatusOr<CommandResult>(const std::vector<std::string>& argv)>;

// The real runner: fork/exec with stdout captured (at most 4 MiB), stderr discarded, killed after
// `timeout`.
CommandRunner SystemCommandRunner(absl::Duration timeout = absl::Seconds(30));

struct HostEnvironment {
  std::string root = "/";  // prefix of every host file read (/etc, /proc, /sys)
  CommandRunner run;       // null: no command is run (keys that need one are left out)
  // The screen-lock collector only asks the desktop settings of the user running the agent inside
  // a graphical session (a root service would read its own, meaningless, settings).
  bool desktop_session = false;
};

// The real host: root "/", SystemCommandRunner, desktop_session when not root and a session bus is
// set in the environment.
HostEnvironment RealHostEnvironment();

// ---- parsers (pure) -------------------------------------------------------------------------

// os-release(5): KEY=value lines, values optionally quoted with " or ' (backslash escapes \" \\ \$
// \` inside double quotes); comments and malformed lines are skipped. Keys are [A-Z0-9_]+.
std::map<std::string, std::string> ParseOsRelease(std::string_view text);

// True when `text` is a dotted numeric version ("12", "22.04", "6.1.0") of at most 4 parts.
bool IsNumericVersion(std::string_view text);

// The mount of "/" in /proc/self/mountinfo: its device number and mount source. nullopt when no
// line mounts "/". For a stacked "/" (several lines), the last one wins, as the kernel shows it.
struct RootMount {
  unsigned major = 0;
  unsigned minor = 0;
  std::string source;  // e.g. "/dev/mapper/vg-root", "overlay"
  std::string fstype;
};
std::optional<RootMount> ParseMountInfoRoot(std::string_view mountinfo);

// `nft list ruleset`: true when some chain hooked on input (inet/ip/ip6 filter) has policy drop,
// or a drop/reject rule, directly or through jump/goto to a chain with one. false when no such
// chain exists (also for an empty ruleset).
bool NftablesFiltersInput(std::string_view ruleset);
// `iptables -S`: true when the INPUT policy is not ACCEPT, or INPUT has a DROP/REJECT rule directly
// or through jumps to user chains.
bool IptablesFiltersInput(std::string_view rules);
// ufw.conf: ENABLED=yes. nullopt when the file has no ENABLED line.
std::optional<bool> UfwEnabled(std::string_view ufw_conf);

// `apt-get -s dist-upgrade` output: the number of "Inst" lines whose origin names a security
// archive (e.g. "Debian-Security:12/stable-security", "Ubuntu:22.04/jammy-security").
int CountPendingSecurityUpdates(std::string_view apt_output);

// ---- collectors -----------------------------------------------------------------------------
// Each adds what it can determine to `posture` (a JSON object).

// operatingSystem "Linux" (always), osVersion (VERSION_ID when numeric), osDistribution (ID),
// osDisplayName (PRETTY_NAME), kernelVersion (/proc/sys/kernel/osrelease).
void CollectOperatingSystem(const HostEnvironment& env, nlohmann::json& posture);
// manufacturer (sys_vendor) and model (product_name) from /sys/class/dmi/id, unless placeholder
// text such as "To be filled by O.E.M.".
void CollectHardware(const HostEnvironment& env, nlohmann::json& posture);
// storageEncrypted: the block device of "/" is, or sits entirely on, a dm-crypt device.
void CollectRootEncryption(const HostEnvironment& env, nlohmann::json& posture);
// firewallEnabled from ufw.conf, `nft list ruleset`, `iptables -S`.
void CollectFirewall(const HostEnvironment& env, nlohmann::json& posture);
// secureBootEnabled from the EFI variable SecureBoot-8be4df61-93ca-11d2-aa0d-e98c0b8c3d52.
void CollectSecureBoot(const HostEnvironment& env, nlohmann::json& posture);
// screenLockEnabled from GNOME settings (lock-enabled and a non-zero idle-delay), desktop only.
void CollectScreenLock(const HostEnvironment& env, nlohmann::json& posture);
// pendingSecurityUpdates from `apt-get -s -q -o Debug::NoLocking=1 dist-upgrade`.
void CollectSecurityUpdates(const HostEnvironment& env, nlohmann::json& posture);

// All collectors, plus observedDateTime = `now` and deviceId when `device_id` is not empty.
nlohmann::json CollectPosture(const HostEnvironment& env, std::string_view device_id,
                              absl::Time now);

}  // namespace gatehouse::agent
