// Synthetic sign-in traffic for evaluating the risk engine (issue 7 item 5): users with a home
// city, a home ISP, an office, a laptop and a phone, commuting (home → mobile carrier → office),
// sometimes on a commercial or corporate VPN, sometimes travelling (flights at realistic speeds,
// hotel networks), sometimes getting a new phone or mistyping their password; mixed with
// labelled attacks: account takeover from a new country/ASN/device (some through Tor, some a
// "domestic" attacker on a residential proxy in the victim's country), takeover shortly after a
// legitimate sign-in from far away (impossible travel), password spray and brute force.
// Deterministic: the same options give the same events, byte for byte.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "risk/config.h"
#include "risk/types.h"

namespace gatehouse::bench {

enum class TrafficLabel : std::uint8_t {
  kLegitimate,
  kTakeover,          // attacker with the user's credentials, new country / ASN / device
  kTakeoverTravel,    // takeover from far away shortly after the user's own sign-in
  kSpray,             // one source trying many accounts
  kBruteForce,        // many passwords on one account
};
const char* TrafficLabelName(TrafficLabel label);

struct TrafficEvent {
  risk::SignInObservation observation;
  TrafficLabel label = TrafficLabel::kLegitimate;
  bool anonymizer = false;  // the attacker came through a listed anonymizer (Tor exit)
  bool domestic = false;    // the attacker used a proxy in the victim's own country
};

struct TrafficOptions {
  std::uint64_t seed = 20250101;
  int users = 2000;
  int days = 60;
  int attack_start_day = 21;    // users have three weeks of history before attacks start
  double takeover_share = 0.05; // fraction of users whose account is taken over once
  double travel_attack_share = 0.3;  // of takeovers: right after the user's own sign-in
  double tor_share = 0.25;           // of takeovers: through a listed Tor exit
  double domestic_share = 0.2;       // of takeovers: residential proxy in the user's country
  int sprays = 6;                    // spray campaigns (each ~150 accounts in an hour)
  int brute_forces = 10;             // brute-force campaigns (each ~30 attempts)
};

// Events sorted by time (ties keep generation order).
std::vector<TrafficEvent> GenerateTraffic(const TrafficOptions& options);

// The tenant configuration matching the generated world: the corporate VPN egress as VPN range,
// the Tor exits as anonymizer range; every threshold at its shipped default.
risk::RiskConfig TrafficConfig();
// The same as the JSON accepted by `gatehouse risk score --config`.
std::string TrafficConfigJson();

// One Graph signIn line (for `gatehouse risk score`), with "id" = "<label>-<index>".
std::string ToSignInLine(const TrafficEvent& event, std::size_t index);

}  // namespace gatehouse::bench
