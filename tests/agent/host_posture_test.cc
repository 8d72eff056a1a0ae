#include "agent/host_posture.h"

#include <string>

#include "agent_test_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace gatehouse::agent {
namespace {

using testing::FakeCommands;
using testing::TempDir;

constexpr char kDebianOsRelease[] =
    "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
    "NAME=\"Debian GNU/Linux\"\n"
    "VERSION_ID=\"12\"\n"
    "VERSION=\"12 (bookworm)\"\n"
    "VERSION_CODENAME=bookworm\n"
    "ID=debian\n"
    "HOME_URL=\"https://www.debian.org/\"\n";

HostEnvironment Env(const TempDir& root, FakeCommands* commands = nullptr) {
  HostEnvironment env;
  env.root = root.path();
  if (commands != nullptr) env.run = commands->Runner();
  return env;
}

nlohmann::json Collect(void (*collector)(const HostEnvironment&, nlohmann::json&),
                       const HostEnvironment& env) {
  nlohmann::json posture = nlohmann::json::object();
  collector(env, posture);
  return posture;
}

// ---- os-release ---------------------------------------------------------------------------------

TEST(ParseOsRelease, ReadsQuotedAndBareValues) {
  const auto values = ParseOsRelease(kDebianOsRelease);
  EXPECT_EQ(values.at("PRETTY_NAME"), "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(values.at("VERSION_ID"), "12");
  EXPECT_EQ(values.at("ID"), "debian");
  EXPECT_EQ(values.at("VERSION_CODENAME"), "bookworm");
}

TEST(ParseOsRelease, HandlesSingleQuotesEscapesAndComments) {
  const auto values = ParseOsRelease(
      "# comment\n"
      "  \n"
      "NAME='Fedora Linux'\n"
      "PRETTY_NAME=\"say \\\"hi\\\" \\\\ \\$HOME\"\n"
      "VERSION_ID=39\r\n");
  EXPECT_EQ(values.at("NAME"), "Fedora Linux");
  EXPECT_EQ(values.at("PRETTY_NAME"), "say \"hi\" \\ $HOME");
  EXPECT_EQ(values.at("VERSION_ID"), "39");
}

TEST(ParseOsRelease, SkipsMalformedLines) {
  const auto values = ParseOsRelease(
      "=novalue\n"
      "lower=case\n"
      "UNCLOSED=\"abc\n"
      "TRAILING=\"abc\"def\n"
      "SPACES=a b\n"
      "NOEQUALS\n"
      "GOOD=yes\n");
  EXPECT_EQ(values.size(), 1u);
  EXPECT_EQ(values.at("GOOD"), "yes");
}

TEST(IsNumericVersion, AcceptsDottedNumbersOnly) {
  EXPECT_TRUE(IsNumericVersion("12"));
  EXPECT_TRUE(IsNumericVersion("22.04"));
  EXPECT_TRUE(IsNumericVersion("1.2.3.4"));
  EXPECT_FALSE(IsNumericVersion(""));
  EXPECT_FALSE(IsNumericVersion("rolling"));
  EXPECT_FALSE(IsNumericVersion("12."));
  EXPECT_FALSE(IsNumericVersion(".12"));
  EXPECT_FALSE(IsNumericVersion("1..2"));
  EXPECT_FALSE(IsNumericVersion("1.2.3.4.5"));
  EXPECT_FALSE(IsNumericVersion("12-rc1"));
}

TEST(CollectOperatingSystem, ReportsDistributionVersionAndKernel) {
  TempDir root;
  root.Write("/etc/os-release", kDebianOsRelease);
  root.Write("/proc/sys/kernel/osrelease", "6.1.0-18-amd64\n");
  const nlohmann::json posture = Collect(CollectOperatingSystem, Env(root));
  EXPECT_EQ(posture, nlohmann::json::parse(R"json({
    "operatingSystem": "Linux", "osVersion": "12", "osDistribution": "debian",
    "osDisplayName": "Debian GNU/Linux 12 (bookworm)", "kernelVersion": "6.1.0-18-amd64"})json"));
}

TEST(CollectOperatingSystem, FallsBackToUsrLibOsRelease) {
  TempDir root;
  root.Write("/usr/lib/os-release", "ID=ubuntu\nVERSION_ID=\"22.04\"\n");
  const nlohmann::json posture = Collect(CollectOperatingSystem, Env(root));
  EXPECT_EQ(posture["osVersion"], "22.04");
  EXPECT_EQ(posture["osDistribution"], "ubuntu");
}

TEST(CollectOperatingSystem, LeavesOutAVersionThatIsNotNumeric) {
  TempDir root;
  root.Write("/etc/os-release", "ID=arch\nBUILD_ID=rolling\nVERSION_ID=rolling\n");
  const nlohmann::json posture = Collect(CollectOperatingSystem, Env(root));
  EXPECT_EQ(posture, nlohmann::json::parse(R"({"operatingSystem": "Linux",
                                                "osDistribution": "arch"})"));
}

TEST(CollectOperatingSystem, ReportsOnlyTheFamilyWhenNothingIsReadable) {
  TempDir root;
  const nlohmann::json posture = Collect(CollectOperatingSystem, Env(root));
  EXPECT_EQ(posture, nlohmann::json::parse(R"({"operatingSystem": "Linux"})"));
}

// ---- hardware -----------------------------------------------------------------------------------

TEST(CollectHardware, ReadsVendorAndProductFromDmi) {
  TempDir root;
  root.Write("/sys/class/dmi/id/sys_vendor", "LENOVO\n");
  root.Write("/sys/class/dmi/id/product_name", "21CB0099GE\n");
  const nlohmann::json posture = Collect(CollectHardware, Env(root));
  EXPECT_EQ(posture, nlohmann::json::parse(R"({"manufacturer": "LENOVO",
                                                "model": "21CB0099GE"})"));
}

TEST(CollectHardware, LeavesOutPlaceholderText) {
  TempDir root;
  root.Write("/sys/class/dmi/id/sys_vendor", "To Be Filled By O.E.M.\n");
  root.Write("/sys/class/dmi/id/product_name", "System Product Name\n");
  EXPECT_EQ(Collect(CollectHardware, Env(root)), nlohmann::json::object());
}

// ---- root encryption ----------------------------------------------------------------------------

std::string MountInfoWithRoot(const std::string& device, const std::string& fstype,
                              const std::string& source) {
  return "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
         "27 1 " + device + " / / rw,relatime shared:1 - " + fstype + " " + source + " rw\n"
         "40 27 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
}

TEST(ParseMountInfoRoot, FindsTheRootMountWithOptionalFields) {
  const auto mount = ParseMountInfoRoot(MountInfoWithRoot("254:1", "ext4", "/dev/mapper/vg-root"));
  ASSERT_TRUE(mount.has_value());
  EXPECT_EQ(mount->major, 254u);
  EXPECT_EQ(mount->minor, 1u);
  EXPECT_EQ(mount->fstype, "ext4");
  EXPECT_EQ(mount->source, "/dev/mapper/vg-root");
}

TEST(ParseMountInfoRoot, NoRootLineAndGarbageGiveNothing) {
  EXPECT_FALSE(ParseMountInfoRoot("22 27 0:21 / /proc rw - proc proc rw\n").has_value());
  EXPECT_FALSE(ParseMountInfoRoot("27 1 x:y / / rw - ext4 /dev/sda rw\n").has_value());
  EXPECT_FALSE(ParseMountInfoRoot("27 1 8:1 / / rw ext4 /dev/sda rw\n").has_value());
  EXPECT_FALSE(ParseMountInfoRoot("").has_value());
}

TEST(CollectRootEncryption, LvmOnLuksIsEncrypted) {
  TempDir root;
  root.Write("/proc/self/mountinfo", MountInfoWithRoot("254:1", "ext4", "/dev/mapper/vg-root"));
  // dm-1 (LVM) sits on dm-0 (LUKS) which sits on nvme0n1p3.
  root.Write("/sys/dev/block/254:1/dm/uuid", "LVM-abcdef\n");
  root.Write("/sys/dev/block/254:1/slaves/dm-0/dm/uuid", "CRYPT-LUKS2-0123456789abcdef-luks\n");
  root.MakeDir("/sys/dev/block/254:1/slaves/dm-0/slaves/nvme0n1p3/slaves");
  EXPECT_EQ(Collect(CollectRootEncryption, Env(root)),
            nlohmann::json::parse(R"({"storageEncrypted": true})"));
}

TEST(CollectRootEncryption, PlainPartitionIsNotEncrypted) {
  TempDir root;
  root.Write("/proc/self/mountinfo", MountInfoWithRoot("8:2", "ext4", "/dev/sda2"));
  root.MakeDir("/sys/dev/block/8:2/slaves");
  root.Write("/sys/dev/block/8:2/partition", "2\n");
  EXPECT_EQ(Collect(CollectRootEncryption, Env(root)),
            nlohmann::json::parse(R"({"storageEncrypted": false})"));
}

TEST(CollectRootEncryption, LvmOnPlainDiskIsNotEncrypted) {
  TempDir root;
  root.Write("/proc/self/mountinfo", MountInfoWithRoot("254:0", "xfs", "/dev/mapper/vg-root"));
  root.Write("/sys/dev/block/254:0/dm/uuid", "LVM-abcdef\n");
  root.MakeDir("/sys/dev/block/254:0/slaves/sda2/slaves");
  EXPECT_EQ(Collect(CollectRootEncryption, Env(root)),
            nlohmann::json::parse(R"({"storageEncrypted": false})"));
}

TEST(CollectRootEncryption, VolumeSpanningAnEncryptedAndAPlainDiskIsNotEncrypted) {
  TempDir root;
  root.Write("/proc/self/mountinfo", MountInfoWithRoot("254:2", "ext4", "/dev/mapper/vg-root"));
  root.Write("/sys/dev/block/254:2/dm/uuid", "LVM-abcdef\n");
  root.Write("/sys/dev/block/254:2/slaves/dm-0/dm/uuid", "CRYPT-LUKS2-1-a\n");
  root.MakeDir("/sys/dev/block/254:2/slaves/sdb1/slaves");
  EXPECT_EQ(Collect(CollectRootEncryption, Env(root)),
            nlohmann::json::parse(R"({"storageEncrypted": false})"));
}

TEST(CollectRootEncryption, BtrfsOnLuksIsFoundThroughTheMapperName) {
  TempDir root;
  // btrfs shows an anonymous device number; the mount source names the mapper device.
  root.Write("/proc/self/mountinfo", MountInfoWithRoot("0:31", "btrfs", "/dev/mapper/luks-42"));
  root.Write("/sys/block/dm-0/dm/name", "luks-42\n");
  root.Write("/sys/block/dm-0/dm/uuid", "CRYPT-LUKS2-42-luks-42\n");
  root.Write("/sys/block/loop0/size", "0\n");
  EXPECT_EQ(Collect(CollectRootEncryption, Env(root)),
            nlohmann::json::parse(R"({"storageEncrypted": true})"));
}

TEST(CollectRootEncryption, OverlayRootIsLeftOut) {
  TempDir root;
  root.Write("/proc/self/mountinfo", MountInfoWithRoot("0:50", "overlay", "overlay"));
  EXPECT_EQ(Collect(CollectRootEncryption, Env(root)), nlohmann::json::object());
}

TEST(CollectRootEncryption, UnreadableMountTableOrDeviceIsLeftOut) {
  TempDir root;
  EXPECT_EQ(Collect(CollectRootEncryption, Env(root)), nlohmann::json::object());
  root.Write("/proc/self/mountinfo", MountInfoWithRoot("8:2", "ext4", "/dev/sda2"));
  EXPECT_EQ(Collect(CollectRootEncryption, Env(root)), nlohmann::json::object());
}

// ---- firewall -----------------------------------------------------------------------------------

constexpr char kNftDropPolicy[] = R"(table inet filter {
	set allowed {
		type ipv4_addr
		elements = { 10.0.0.1 }
	}
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iifname "lo" accept
		tcp dport { 22, 443 } accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
	}
	chain output {
		type filter hook output priority filter; policy accept;
	}
}
)";

constexpr char kNftAcceptOnly[] = R"(table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state established accept
	}
	chain output {
		type filter hook output priority filter; policy drop;
	}
}
)";

constexpr char kNftJumpToReject[] = R"(table ip firewalld {
	chain filter_INPUT {
		type filter hook input priority filter + 10; policy accept;
		jump filter_INPUT_ZONES
	}
	chain filter_INPUT_ZONES {
		goto filter_IN_public
	}
	chain filter_IN_public {
		tcp dport 22 accept
		reject with icmpx admin-prohibited
	}
}
)";

TEST(NftablesFiltersInput, RecognisesDropPolicyRulesAndJumps) {
  EXPECT_TRUE(NftablesFiltersInput(kNftDropPolicy));
  EXPECT_TRUE(NftablesFiltersInput(kNftJumpToReject));
  EXPECT_FALSE(NftablesFiltersInput(kNftAcceptOnly));
  EXPECT_FALSE(NftablesFiltersInput(""));
  // A dropping chain that nothing hooked on input reaches does not count.
  EXPECT_FALSE(NftablesFiltersInput(
      "table inet t {\n\tchain unused {\n\t\tdrop\n\t}\n\tchain input {\n\t\ttype filter hook "
      "input priority 0; policy accept;\n\t}\n}\n"));
}

TEST(IptablesFiltersInput, RecognisesPolicyRulesAndUserChains) {
  EXPECT_TRUE(IptablesFiltersInput("-P INPUT DROP\n-P FORWARD DROP\n-P OUTPUT ACCEPT\n"));
  EXPECT_TRUE(IptablesFiltersInput(
      "-P INPUT ACCEPT\n-N ufw-before-input\n-A INPUT -j ufw-before-input\n"
      "-A ufw-before-input -p tcp --dport 22 -j ACCEPT\n-A ufw-before-input -j REJECT\n"));
  EXPECT_FALSE(IptablesFiltersInput("-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"));
  EXPECT_FALSE(IptablesFiltersInput(
      "-P INPUT ACCEPT\n-A INPUT -i lo -j ACCEPT\n-A OUTPUT -j DROP\n-N loop\n-A loop -j loop\n"
      "-A INPUT -j loop\n"));
}

TEST(UfwEnabled, ReadsTheEnabledSwitch) {
  EXPECT_EQ(UfwEnabled("# comment\nENABLED=yes\nLOGLEVEL=low\n"), true);
  EXPECT_EQ(UfwEnabled("ENABLED=no\n"), false);
  EXPECT_EQ(UfwEnabled("LOGLEVEL=low\n"), std::nullopt);
}

TEST(CollectFirewall, UfwEnabledIsOn) {
  TempDir root;
  root.Write("/etc/ufw/ufw.conf", "ENABLED=yes\n");
  FakeCommands commands;
  EXPECT_EQ(Collect(CollectFirewall, Env(root, &commands)),
            nlohmann::json::parse(R"({"firewallEnabled": true})"));
}

TEST(CollectFirewall, NftablesDropPolicyIsOn) {
  TempDir root;
  root.Write("/etc/ufw/ufw.conf", "ENABLED=no\n");
  FakeCommands commands;
  commands.Set("nft list ruleset", 0, kNftDropPolicy);
  EXPECT_EQ(Collect(CollectFirewall, Env(root, &commands)),
            nlohmann::json::parse(R"({"firewallEnabled": true})"));
}

TEST(CollectFirewall, EmptyRulesetsAreOff) {
  TempDir root;
  FakeCommands commands;
  commands.Set("nft list ruleset", 0, "");
  commands.Set("iptables -S", 0, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n");
  EXPECT_EQ(Collect(CollectFirewall, Env(root, &commands)),
            nlohmann::json::parse(R"({"firewallEnabled": false})"));
}

TEST(CollectFirewall, IptablesRulesCountWhenNftablesIsAbsent) {
  TempDir root;
  FakeCommands commands;
  commands.Set("iptables -S", 0, "-P INPUT DROP\n");
  EXPECT_EQ(Collect(CollectFirewall, Env(root, &commands)),
            nlohmann::json::parse(R"({"firewallEnabled": true})"));
}

TEST(CollectFirewall, UnreadableRulesetsAreLeftOut) {
  TempDir root;
  root.Write("/etc/ufw/ufw.conf", "ENABLED=no\n");
  FakeCommands commands;
  commands.Set("nft list ruleset", 1, "");  // "Operation not permitted" as a normal user
  EXPECT_EQ(Collect(CollectFirewall, Env(root, &commands)), nlohmann::json::object());
  EXPECT_EQ(Collect(CollectFirewall, Env(root)), nlohmann::json::object());  // no runner at all
}

// ---- secure boot --------------------------------------------------------------------------------

constexpr char kSecureBootVar[] =
    "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e98c0b8c3d52";

TEST(CollectSecureBoot, ReadsTheFifthByteOfTheEfiVariable) {
  TempDir on;
  on.Write(kSecureBootVar, std::string("\x06\x00\x00\x00\x01", 5));
  EXPECT_EQ(Collect(CollectSecureBoot, Env(on)),
            nlohmann::json::parse(R"({"secureBootEnabled": true})"));
  TempDir off;
  off.Write(kSecureBootVar, std::string("\x06\x00\x00\x00\x00", 5));
  EXPECT_EQ(Collect(CollectSecureBoot, Env(off)),
            nlohmann::json::parse(R"({"secureBootEnabled": false})"));
}

TEST(CollectSecureBoot, AbsentOrMalformedVariableIsLeftOut) {
  TempDir absent;
  absent.MakeDir("/sys/firmware");
  EXPECT_EQ(Collect(CollectSecureBoot, Env(absent)), nlohmann::json::object());
  TempDir short_var;
  short_var.Write(kSecureBootVar, std::string("\x06\x00\x00\x00", 4));
  EXPECT_EQ(Collect(CollectSecureBoot, Env(short_var)), nlohmann::json::object());
  TempDir odd_value;
  odd_value.Write(kSecureBootVar, std::string("\x06\x00\x00\x00\x07", 5));
  EXPECT_EQ(Collect(CollectSecureBoot, Env(odd_value)), nlohmann::json::object());
}

// ---- screen lock --------------------------------------------------------------------------------

constexpr char kLockEnabled[] = "gsettings get org.gnome.desktop.screensaver lock-enabled";
constexpr char kIdleDelay[] = "gsettings get org.gnome.desktop.session idle-delay";

TEST(CollectScreenLock, IsNotAskedOutsideADesktopSession) {
  TempDir root;
  FakeCommands commands;
  commands.Set(kLockEnabled, 0, "true\n");
  HostEnvironment env = Env(root, &commands);
  env.desktop_session = false;
  EXPECT_EQ(Collect(CollectScreenLock, env), nlohmann::json::object());
  EXPECT_TRUE(commands.calls().empty());
}

TEST(CollectScreenLock, NeedsLockEnabledAndAnIdleDelay) {
  TempDir root;
  struct Case {
    const char* lock;
    const char* idle;
    const char* expected;
  };
  for (const Case& c : {Case{"true\n", "uint32 300\n", R"({"screenLockEnabled": true})"},
                        Case{"true\n", "uint32 0\n", R"({"screenLockEnabled": false})"},
                        Case{"false\n", "uint32 300\n", R"({"screenLockEnabled": false})"},
                        Case{"true\n", "garbage\n", "{}"},
                        Case{"maybe\n", "uint32 300\n", "{}"}}) {
    FakeCommands commands;
    commands.Set(kLockEnabled, 0, c.lock);
    commands.Set(kIdleDelay, 0, c.idle);
    HostEnvironment env = Env(root, &commands);
    env.desktop_session = true;
    EXPECT_EQ(Collect(CollectScreenLock, env), nlohmann::json::parse(c.expected))
        << c.lock << " " << c.idle;
  }
  FakeCommands none;  // gsettings not installed
  HostEnvironment env = Env(root, &none);
  env.desktop_session = true;
  EXPECT_EQ(Collect(CollectScreenLock, env), nlohmann::json::object());
}

// ---- security updates ---------------------------------------------------------------------------

constexpr char kAptOutput[] =
    "NOTE: This is only a simulation!\n"
    "Reading package lists...\n"
    "The following packages will be upgraded:\n"
    "  base-files libc6 libssl3 openssl\n"
    "Inst base-files [12.4+deb12u4] (12.4+deb12u5 Debian:12.5/stable [amd64])\n"
    "Inst libc6 [2.36-9+deb12u3] (2.36-9+deb12u4 Debian-Security:12/stable-security [amd64])\n"
    "Inst libssl3 [3.0.11-1~deb12u1] (3.0.11-1~deb12u2 Debian:12.5/stable, "
    "Debian-Security:12/stable-security [amd64])\n"
    "Inst openssl (3.0.13-1 Ubuntu:22.04/jammy-updates, Ubuntu:22.04/jammy-security [amd64])\n"
    "Conf base-files (12.4+deb12u5 Debian:12.5/stable [amd64])\n"
    "Conf libc6 (2.36-9+deb12u4 Debian-Security:12/stable-security [amd64])\n";

constexpr char kAptCommand[] = "apt-get -s -q -o Debug::NoLocking=1 dist-upgrade";

TEST(CountPendingSecurityUpdates, CountsInstLinesFromSecurityArchives) {
  EXPECT_EQ(CountPendingSecurityUpdates(kAptOutput), 3);
  EXPECT_EQ(CountPendingSecurityUpdates("Reading package lists...\n0 upgraded\n"), 0);
  EXPECT_EQ(CountPendingSecurityUpdates("Inst security-tools [1] (2 Debian:12/stable [amd64])\n"),
            0);
}

TEST(CollectSecurityUpdates, ReportsTheCountWhenAptAnswers) {
  TempDir root;
  FakeCommands commands;
  commands.Set(kAptCommand, 0, kAptOutput);
  EXPECT_EQ(Collect(CollectSecurityUpdates, Env(root, &commands)),
            nlohmann::json::parse(R"({"pendingSecurityUpdates": 3})"));
  FakeCommands failing;
  failing.Set(kAptCommand, 100, "E: broken\n");
  EXPECT_EQ(Collect(CollectSecurityUpdates, Env(root, &failing)), nlohmann::json::object());
  FakeCommands absent;
  EXPECT_EQ(Collect(CollectSecurityUpdates, Env(root, &absent)), nlohmann::json::object());
}

// ---- everything together ------------------------------------------------------------------------

TEST(CollectPosture, LeavesOutEverythingItCannotDetermine) {
  TempDir root;
  FakeCommands commands;  // nothing installed
  const absl::Time now = absl::FromUnixSeconds(1714557600);
  const nlohmann::json posture = CollectPosture(Env(root, &commands), "dev-1", now);
  EXPECT_EQ(posture, nlohmann::json::parse(R"({"deviceId": "dev-1", "operatingSystem": "Linux",
                                   "observedDateTime": "2024-05-01T10:00:00Z"})"));
}

TEST(CollectPosture, CombinesEveryCollector) {
  TempDir root;
  root.Write("/etc/os-release", kDebianOsRelease);
  root.Write("/proc/sys/kernel/osrelease", "6.1.0-18-amd64\n");
  root.Write("/sys/class/dmi/id/sys_vendor", "Dell Inc.\n");
  root.Write("/sys/class/dmi/id/product_name", "Latitude 7440\n");
  root.Write("/proc/self/mountinfo", MountInfoWithRoot("254:0", "ext4", "/dev/mapper/root"));
  root.Write("/sys/dev/block/254:0/dm/uuid", "CRYPT-LUKS2-abc-root\n");
  root.Write(kSecureBootVar, std::string("\x06\x00\x00\x00\x01", 5));
  FakeCommands commands;
  commands.Set("nft list ruleset", 0, kNftDropPolicy);
  commands.Set(kAptCommand, 0, "0 upgraded, 0 newly installed\n");
  const nlohmann::json posture =
      CollectPosture(Env(root, &commands), "", absl::FromUnixSeconds(1714557600));
  EXPECT_EQ(posture, nlohmann::json::parse(R"json({
    "operatingSystem": "Linux", "osVersion": "12", "osDistribution": "debian",
    "osDisplayName": "Debian GNU/Linux 12 (bookworm)", "kernelVersion": "6.1.0-18-amd64",
    "manufacturer": "Dell Inc.", "model": "Latitude 7440", "storageEncrypted": true,
    "firewallEnabled": true, "secureBootEnabled": true, "pendingSecurityUpdates": 0,
    "observedDateTime": "2024-05-01T10:00:00Z"})json"));
}

TEST(SystemCommandRunner, CapturesOutputAndExitCode) {
  const CommandRunner run = SystemCommandRunner(absl::Seconds(10));
  const absl::StatusOr<CommandResult> echo = run({"sh", "-c", "echo hello; echo oops >&2"});
  ASSERT_TRUE(echo.ok()) << echo.status();
  EXPECT_EQ(echo->exit_code, 0);
  EXPECT_EQ(echo->output, "hello\n");
  const absl::StatusOr<CommandResult> failing = run({"sh", "-c", "exit 3"});
  ASSERT_TRUE(failing.ok());
  EXPECT_EQ(failing->exit_code, 3);
  EXPECT_EQ(run({"gatehouse-no-such-program-xyz"}).status().code(), absl::StatusCode::kNotFound);
}

TEST(SystemCommandRunner, RunsCommandsInTheCLocale) {
  const absl::StatusOr<CommandResult> locale =
      SystemCommandRunner()({"sh", "-c", "echo $LC_ALL"});
  ASSERT_TRUE(locale.ok());
  EXPECT_EQ(locale->output, "C\n");
}

}  // namespace
}  // namespace gatehouse::agent
