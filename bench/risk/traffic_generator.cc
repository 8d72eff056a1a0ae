#include "bench/risk/traffic_generator.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "core/iso_time.h"
#include "nlohmann/json.hpp"
#include "risk/assessment.h"

namespace gatehouse::bench {

namespace {

struct City {
  const char* name;
  const char* country;
  double lat, lon;
};

// Where users live and work (the first 25), and where only attackers are (the rest).
constexpr City kCities[] = {
    {"Amsterdam", "NL", 52.37, 4.90},    {"Rotterdam", "NL", 51.92, 4.48},
    {"Utrecht", "NL", 52.09, 5.12},      {"Berlin", "DE", 52.52, 13.40},
    {"Munich", "DE", 48.14, 11.58},      {"Hamburg", "DE", 53.55, 9.99},
    {"London", "GB", 51.51, -0.13},      {"Manchester", "GB", 53.48, -2.24},
    {"Paris", "FR", 48.86, 2.35},        {"Lyon", "FR", 45.76, 4.84},
    {"New York", "US", 40.71, -74.01},   {"Chicago", "US", 41.88, -87.63},
    {"San Francisco", "US", 37.77, -122.42}, {"Austin", "US", 30.27, -97.74},
    {"Bangalore", "IN", 12.97, 77.59},   {"Pune", "IN", 18.52, 73.86},
    {"Madrid", "ES", 40.42, -3.70},      {"Warsaw", "PL", 52.23, 21.01},
    {"Stockholm", "SE", 59.33, 18.07},   {"Dublin", "IE", 53.35, -6.26},
    {"Toronto", "CA", 43.65, -79.38},    {"Singapore", "SG", 1.35, 103.82},
    {"Tokyo", "JP", 35.68, 139.69},      {"Sydney", "AU", -33.87, 151.21},
    {"Sao Paulo", "BR", -23.55, -46.63},
    // attacker-only
    {"Lagos", "NG", 6.52, 3.38},         {"Moscow", "RU", 55.76, 37.62},
    {"Bucharest", "RO", 44.43, 26.10},   {"Hanoi", "VN", 21.03, 105.85},
    {"Jakarta", "ID", -6.21, 106.85},    {"Beijing", "CN", 39.90, 116.40},
    {"Kyiv", "UA", 50.45, 30.52},        {"Istanbul", "TR", 41.01, 28.98},
};
constexpr int kUserCities = 25;
constexpr int kCityCount = sizeof(kCities) / sizeof(kCities[0]);

constexpr std::uint32_t kCorporateAsn = 64496;
constexpr std::uint32_t kCorporateVpnAsn = 64497;  // egress 192.0.2.0/24, Amsterdam
constexpr std::uint32_t kCommercialVpnAsn = 9009;
constexpr std::uint32_t kHostingAsns[] = {14061, 16276, 24940, 20473};
constexpr const char* kVpnExitCountries[] = {"NL", "DE", "GB", "US", "SE"};
constexpr int kVpnExitCities[] = {0, 3, 6, 10, 18};

// Country index of a city (cities of one country share it).
int CountryIndex(int city) {
  const std::string country = kCities[city].country;
  for (int i = 0; i < kCityCount; ++i) {
    if (country == kCities[i].country) return i;
  }
  return city;
}
// Residential ISPs: three per country; the mobile carrier is a fourth.
std::uint32_t ResidentialAsn(int city, int isp) {
  return 20000 + static_cast<std::uint32_t>(CountryIndex(city)) * 10 + static_cast<std::uint32_t>(isp);
}
std::uint32_t MobileAsn(int city) { return ResidentialAsn(city, 5); }

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : gen_(seed) {}
  double Uniform() { return static_cast<double>(gen_() >> 11) * (1.0 / 9007199254740992.0); }
  int Int(int n) { return static_cast<int>(Uniform() * n); }
  bool Chance(double p) { return Uniform() < p; }

 private:
  std::mt19937_64 gen_;
};

// An address inside a /16 owned by `asn`: <a>.<b>.<subnet>.<host>.
std::string Address(std::uint32_t asn, int subnet, int host) {
  const std::uint32_t block = asn * 2654435761u;  // spreads ASNs over the address space
  const int a = 11 + static_cast<int>(block % 200);
  const int b = static_cast<int>((block >> 8) % 256);
  return absl::StrCat(a, ".", b, ".", subnet & 255, ".", 1 + (host % 254));
}

struct Device {
  std::string id;  // "" = not registered
  std::string browser, os;
};

struct User {
  std::string id;
  int home_city = 0;
  int home_isp = 0;
  int home_subnet = 0;
  bool remote = false;
  bool commercial_vpn = false;
  int vpn_exit = 0;
  Device laptop, phone;
  int phone_generation = 0;
};

Device Laptop(Rng& rng, const std::string& user) {
  Device d;
  d.id = rng.Chance(0.85) ? "laptop-" + user : "";
  if (rng.Chance(0.7)) {
    d.os = "Windows10";
    d.browser = rng.Chance(0.4) ? "Edge 120.0.2210" : "Chrome 120.0.6099";
  } else {
    d.os = "MacOs";
    d.browser = rng.Chance(0.5) ? "Safari 17.1" : "Chrome 120.0.6099";
  }
  return d;
}

Device Phone(Rng& rng, const std::string& user, int generation) {
  Device d;
  d.id = rng.Chance(0.5) ? absl::StrCat("phone-", user, "-", generation) : "";
  if (rng.Chance(0.55)) {
    d.os = "Ios 17.1";
    d.browser = "Mobile Safari 17.1";
  } else {
    d.os = "Android 14";
    d.browser = "Chrome Mobile 120.0";
  }
  return d;
}

class World {
 public:
  World(const TrafficOptions& options) : options_(options), rng_(options.seed) {}

  std::vector<TrafficEvent> Run() {
    CreateUsers();
    for (std::size_t u = 0; u < users_.size(); ++u) SimulateUser(users_[u]);
    AddTakeovers();
    AddSprays();
    AddBruteForces();
    std::stable_sort(events_.begin(), events_.end(), [](const auto& a, const auto& b) {
      return a.observation.time < b.observation.time;
    });
    return std::move(events_);
  }

 private:
  absl::Time DayStart(int day) const {
    return absl::FromUnixSeconds(1735689600) + absl::Hours(24 * day);  // 2025-01-01 (Wednesday)
  }
  // Local hour → UTC instant, shifting by the city's longitude (15° per hour).
  absl::Time LocalTime(int day, double hour, int city) const {
    return DayStart(day) + absl::Seconds(static_cast<std::int64_t>(
                               (hour - kCities[city].lon / 15.0) * 3600));
  }

  void CreateUsers() {
    for (int i = 0; i < options_.users; ++i) {
      User u;
      u.id = absl::StrCat("user-", i);
      // Most staff live in the first ten cities (the company's main offices).
      u.home_city = rng_.Chance(0.8) ? rng_.Int(10) : 10 + rng_.Int(kUserCities - 10);
      u.home_isp = rng_.Int(3);
      u.home_subnet = rng_.Int(256);
      u.remote = rng_.Chance(0.3);
      u.commercial_vpn = rng_.Chance(0.08);
      u.vpn_exit = rng_.Int(5);
      u.laptop = Laptop(rng_, u.id);
      u.phone = Phone(rng_, u.id, 0);
      users_.push_back(std::move(u));
    }
  }

  risk::SignInObservation Base(const User& u, absl::Time time, const Device& device) {
    risk::SignInObservation o;
    o.user_id = u.id;
    o.time = time;
    o.device_id = device.id;
    o.browser = device.browser;
    o.operating_system = device.os;
    return o;
  }

  void Place(risk::SignInObservation& o, int city, std::uint32_t asn, const std::string& ip) {
    o.ip = location::IpAddress::Parse(ip);
    o.asn = asn;
    o.country = kCities[city].country;
    o.city = kCities[city].name;
    // GeoIP jitter: a few km around the city centre.
    o.latitude = kCities[city].lat + (rng_.Uniform() - 0.5) * 0.1;
    o.longitude = kCities[city].lon + (rng_.Uniform() - 0.5) * 0.1;
  }

  void Legit(risk::SignInObservation o) {
    if (rng_.Chance(0.03)) {  // a mistyped password first
      risk::SignInObservation typo = o;
      typo.time -= absl::Seconds(20);
      typo.error_code = 50126;
      events_.push_back({std::move(typo), TrafficLabel::kLegitimate});
    }
    events_.push_back({std::move(o), TrafficLabel::kLegitimate});
  }

  // A sign-in from the user's home connection (or their VPN when they use one).
  void AtHome(const User& u, absl::Time time, const Device& device) {
    risk::SignInObservation o = Base(u, time, device);
    if (u.commercial_vpn && rng_.Chance(0.25)) {
      const int exit = rng_.Chance(0.8) ? u.vpn_exit : rng_.Int(5);
      Place(o, kVpnExitCities[exit], kCommercialVpnAsn,
            Address(kCommercialVpnAsn, exit * 16 + rng_.Int(4), rng_.Int(254)));
    } else if (u.remote && rng_.Chance(0.1)) {
      Place(o, 0, kCorporateVpnAsn, absl::StrCat("192.0.2.", 1 + rng_.Int(254)));
    } else {
      const std::uint32_t asn = ResidentialAsn(u.home_city, u.home_isp);
      Place(o, u.home_city, asn, Address(asn, u.home_subnet, 7));
    }
    Legit(std::move(o));
  }

  void Mobile(const User& u, absl::Time time, int city, bool roaming) {
    risk::SignInObservation o = Base(u, time, u.phone);
    const int carrier_city = roaming ? u.home_city : city;
    const std::uint32_t asn = MobileAsn(carrier_city);
    // Carrier-grade NAT: one of 16 prefixes per carrier.
    Place(o, carrier_city, asn, Address(asn, rng_.Int(16), rng_.Int(254)));
    Legit(std::move(o));
  }

  void AtOffice(const User& u, absl::Time time, int city) {
    risk::SignInObservation o = Base(u, time, u.laptop);
    Place(o, city, kCorporateAsn, absl::StrCat("198.18.", city, ".", 10 + rng_.Int(200)));
    Legit(std::move(o));
  }

  void AtHotel(const User& u, absl::Time time, int city, int day) {
    risk::SignInObservation o = Base(u, time, rng_.Chance(0.7) ? u.laptop : u.phone);
    const std::uint32_t asn = ResidentialAsn(city, rng_.Int(3));
    Place(o, city, asn, Address(asn, 100 + day % 100, rng_.Int(254)));
    Legit(std::move(o));
  }

  void SimulateUser(User& u) {
    int trip_city = -1, trip_end = -1;
    for (int day = 0; day < options_.days; ++day) {
      if (rng_.Chance(1.0 / 300)) u.phone = Phone(rng_, u.id, ++u.phone_generation);
      const bool weekend = (day + 2) % 7 >= 5;  // 2025-01-01 is a Wednesday
      if (trip_city < 0 && !weekend && rng_.Chance(1.0 / 60)) {
        // A trip: 70 % to another of the company's cities, 30 % anywhere users live.
        do {
          trip_city = rng_.Chance(0.7) ? rng_.Int(10) : rng_.Int(kUserCities);
        } while (trip_city == u.home_city);
        trip_end = day + 2 + rng_.Int(4);
        // Flight: leave home after a morning sign-in, arrive after the flight time.
        AtHome(u, LocalTime(day, 6.5, u.home_city), u.laptop);
        const double km = risk::DistanceKm(kCities[u.home_city].lat, kCities[u.home_city].lon,
                                           kCities[trip_city].lat, kCities[trip_city].lon);
        const absl::Time arrival =
            LocalTime(day, 6.5, u.home_city) + absl::Hours(2) + absl::Seconds(km / 800.0 * 3600);
        Mobile(u, arrival + absl::Minutes(20), trip_city, rng_.Chance(0.5));
        AtHotel(u, arrival + absl::Hours(3), trip_city, day);
        continue;
      }
      if (trip_city >= 0) {
        if (day < trip_end) {
          const bool office = trip_city < 10 && rng_.Chance(0.6);
          if (office) {
            AtOffice(u, LocalTime(day, 9.5 + rng_.Uniform(), trip_city), trip_city);
          } else {
            AtHotel(u, LocalTime(day, 8 + rng_.Uniform(), trip_city), trip_city, day);
          }
          if (rng_.Chance(0.5)) Mobile(u, LocalTime(day, 13, trip_city), trip_city, rng_.Chance(0.5));
          AtHotel(u, LocalTime(day, 20 + rng_.Uniform(), trip_city), trip_city, day);
          continue;
        }
        // Flight home.
        const double km = risk::DistanceKm(kCities[u.home_city].lat, kCities[u.home_city].lon,
                                           kCities[trip_city].lat, kCities[trip_city].lon);
        AtHotel(u, LocalTime(day, 6, trip_city), trip_city, day);
        const absl::Time arrival =
            LocalTime(day, 6, trip_city) + absl::Hours(2) + absl::Seconds(km / 800.0 * 3600);
        AtHome(u, arrival + absl::Hours(2), u.laptop);
        trip_city = -1;
        continue;
      }
      if (weekend) {
        if (rng_.Chance(0.3)) {
          if (rng_.Chance(0.5)) {
            AtHome(u, LocalTime(day, 10 + 10 * rng_.Uniform(), u.home_city), u.phone);
          } else {
            Mobile(u, LocalTime(day, 10 + 10 * rng_.Uniform(), u.home_city), u.home_city, false);
          }
        }
        continue;
      }
      if (rng_.Chance(0.5)) AtHome(u, LocalTime(day, 7 + 1.5 * rng_.Uniform(), u.home_city), u.laptop);
      if (!u.remote && rng_.Chance(0.4)) {
        Mobile(u, LocalTime(day, 8.5 + 0.5 * rng_.Uniform(), u.home_city), u.home_city, false);
      }
      const int work = 1 + rng_.Int(3);
      for (int i = 0; i < work; ++i) {
        const absl::Time t = LocalTime(day, 9.5 + 7.0 * (i + rng_.Uniform()) / work, u.home_city);
        if (u.remote) {
          AtHome(u, t, u.laptop);
        } else {
          AtOffice(u, t, u.home_city);
        }
      }
      if (rng_.Chance(0.3)) AtHome(u, LocalTime(day, 19 + 3 * rng_.Uniform(), u.home_city), u.phone);
    }
  }

  void Attacker(risk::SignInObservation& o) {
    static constexpr const char* kAgents[][2] = {
        {"Chrome 120.0.6099", "Windows10"}, {"Chrome 120.0.6099", "Windows10"},
        {"Chrome 119.0.0", "Windows10"},    {"Edge 120.0.2210", "Windows10"},
        {"Firefox 121.0", "Linux"},         {"Safari 17.1", "MacOs"},
        {"", ""}};
    const int pick = rng_.Int(7);
    o.browser = kAgents[pick][0];
    o.operating_system = kAgents[pick][1];
    if (o.browser.empty()) o.user_agent = "python-requests/2.31.0";
    o.device_id.clear();  // attackers have no registered device
  }

  void AddTakeovers() {
    const int count = static_cast<int>(options_.users * options_.takeover_share);
    for (int k = 0; k < count; ++k) {
      const User& u = users_[static_cast<std::size_t>(rng_.Int(options_.users))];
      const int day = options_.attack_start_day + rng_.Int(options_.days - options_.attack_start_day);
      TrafficEvent e;
      e.label = TrafficLabel::kTakeover;
      risk::SignInObservation& o = e.observation;
      o.user_id = u.id;
      o.time = LocalTime(day, 24 * rng_.Uniform(), u.home_city);
      if (rng_.Chance(options_.travel_attack_share)) {
        // Right after the victim's own sign-in (15-90 minutes later), from far away.
        e.label = TrafficLabel::kTakeoverTravel;
        const risk::SignInObservation* last = nullptr;
        for (const TrafficEvent& prior : events_) {
          if (prior.label == TrafficLabel::kLegitimate && prior.observation.user_id == u.id &&
              prior.observation.error_code == 0 &&
              prior.observation.time >= DayStart(day) &&
              prior.observation.time < DayStart(day + 1)) {
            last = &prior.observation;
          }
        }
        if (last != nullptr) o.time = last->time + absl::Minutes(15 + rng_.Int(75));
      }
      int city;
      std::uint32_t asn;
      std::string ip;
      if (rng_.Chance(options_.tor_share)) {
        e.anonymizer = true;
        city = kVpnExitCities[rng_.Int(5)];
        asn = 60729;
        ip = absl::StrCat("185.220.", 100 + rng_.Int(4), ".", 1 + rng_.Int(254));
      } else if (e.label == TrafficLabel::kTakeover && rng_.Chance(options_.domestic_share)) {
        // Residential proxy in the victim's country, on another ISP.
        e.domestic = true;
        city = u.home_city;
        asn = ResidentialAsn(city, (u.home_isp + 1 + rng_.Int(2)) % 3);
        ip = Address(asn, rng_.Int(256), rng_.Int(254));
      } else {
        do {
          city = rng_.Chance(0.6) ? kUserCities + rng_.Int(kCityCount - kUserCities)
                                  : rng_.Int(kUserCities);
        } while (std::string(kCities[city].country) == kCities[u.home_city].country ||
                 risk::DistanceKm(kCities[city].lat, kCities[city].lon,
                                  kCities[u.home_city].lat, kCities[u.home_city].lon) < 1500);
        asn = kHostingAsns[rng_.Int(4)];
        ip = Address(asn, rng_.Int(256), rng_.Int(254));
      }
      Place(o, city, asn, ip);
      Attacker(o);
      const int sign_ins = 1 + rng_.Int(3);
      for (int i = 0; i < sign_ins; ++i) {
        events_.push_back(e);
        e.observation.time += absl::Minutes(5 + rng_.Int(20));
      }
    }
  }

  void AddSprays() {
    for (int s = 0; s < options_.sprays; ++s) {
      const int day = options_.attack_start_day + rng_.Int(options_.days - options_.attack_start_day);
      const std::uint32_t asn = kHostingAsns[rng_.Int(4)];
      const std::string ip = Address(asn, 200 + s, 9);
      const int city = kUserCities + rng_.Int(kCityCount - kUserCities);
      absl::Time t = DayStart(day) + absl::Hours(rng_.Int(24));
      const int targets = 120 + rng_.Int(60);
      for (int i = 0; i < targets; ++i) {
        TrafficEvent e;
        e.label = TrafficLabel::kSpray;
        e.observation.user_id = users_[static_cast<std::size_t>(rng_.Int(options_.users))].id;
        e.observation.time = t;
        Place(e.observation, city, asn, ip);
        Attacker(e.observation);
        e.observation.error_code = rng_.Chance(0.01) ? 0 : 50126;  // a weak password works
        events_.push_back(std::move(e));
        t += absl::Seconds(10 + rng_.Int(30));
      }
    }
  }

  void AddBruteForces() {
    for (int b = 0; b < options_.brute_forces; ++b) {
      const int day = options_.attack_start_day + rng_.Int(options_.days - options_.attack_start_day);
      const User& u = users_[static_cast<std::size_t>(rng_.Int(options_.users))];
      const std::uint32_t asn = kHostingAsns[rng_.Int(4)];
      const int city = kUserCities + rng_.Int(kCityCount - kUserCities);
      absl::Time t = DayStart(day) + absl::Hours(rng_.Int(24));
      const int attempts = 25 + rng_.Int(10);
      const bool cracked = rng_.Chance(0.3);
      for (int i = 0; i < attempts; ++i) {
        TrafficEvent e;
        e.label = TrafficLabel::kBruteForce;
        e.observation.user_id = u.id;
        e.observation.time = t;
        // Rotating addresses of one hosting provider (evades per-IP limits).
        Place(e.observation, city, asn, Address(asn, 220 + b, i));
        Attacker(e.observation);
        e.observation.error_code = cracked && i == attempts - 1 ? 0 : 50126;
        events_.push_back(std::move(e));
        t += absl::Seconds(20 + rng_.Int(40));
      }
    }
  }

  TrafficOptions options_;
  Rng rng_;
  std::vector<User> users_;
  std::vector<TrafficEvent> events_;
};

}  // namespace

const char* TrafficLabelName(TrafficLabel label) {
  switch (label) {
    case TrafficLabel::kLegitimate:
      return "legit";
    case TrafficLabel::kTakeover:
      return "takeover";
    case TrafficLabel::kTakeoverTravel:
      return "takeoverTravel";
    case TrafficLabel::kSpray:
      return "spray";
    case TrafficLabel::kBruteForce:
      return "bruteForce";
  }
  return "?";
}

std::vector<TrafficEvent> GenerateTraffic(const TrafficOptions& options) {
  return World(options).Run();
}

std::string TrafficConfigJson() {
  return R"({
  "impossibleTravel": {"vpnRanges": ["192.0.2.0/24"], "vpnAsns": [9009]},
  "anonymousIpRanges": ["185.220.100.0/22"]
})";
}

risk::RiskConfig TrafficConfig() {
  core::ProblemList problems;
  return *risk::ParseRiskConfig(nlohmann::json::parse(TrafficConfigJson()), problems);
}

std::string ToSignInLine(const TrafficEvent& event, std::size_t index) {
  const risk::SignInObservation& o = event.observation;
  nlohmann::ordered_json j;
  j["id"] = absl::StrCat(TrafficLabelName(event.label), "-", index);
  j["createdDateTime"] = core::FormatIsoDateTime(o.time);
  j["userId"] = o.user_id;
  if (o.ip.has_value()) j["ipAddress"] = o.ip->ToString();
  if (o.asn.has_value()) j["autonomousSystemNumber"] = *o.asn;
  nlohmann::ordered_json location = {{"countryOrRegion", o.country}, {"city", o.city}};
  if (o.latitude.has_value()) {
    location["geoCoordinates"] = {{"latitude", *o.latitude}, {"longitude", *o.longitude}};
  }
  j["location"] = location;
  j["deviceDetail"] = {{"deviceId", o.device_id}, {"browser", o.browser},
                       {"operatingSystem", o.operating_system}};
  if (!o.user_agent.empty()) j["userAgent"] = o.user_agent;
  j["status"] = {{"errorCode", o.error_code}};
  return j.dump();
}

}  // namespace gatehouse::bench
