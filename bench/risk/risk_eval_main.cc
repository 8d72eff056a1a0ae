// Evaluation of the risk engine on the synthetic traffic of traffic_generator.h (issue 7 item 5):
// replays the events through RiskState exactly as `gatehouse risk score` does, and prints
//  - the ROC curve of the unfamiliar-features score (takeover sign-ins vs legitimate successful
//    sign-ins of users past the learning period) as a table, with AUC and the true-positive rate
//    at 1 % and 0.1 % false positives; --out DIR also writes roc.tsv and roc.gp (gnuplot → PNG);
//  - the detection rate of every detector on each traffic class at the shipped thresholds;
//  - the share of takeovers and of legitimate sign-ins at each level.
// --jsonl FILE writes the traffic as Graph signIn lines and --config-out FILE the matching
// configuration, for an end-to-end run of `gatehouse risk score`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "bench/risk/traffic_generator.h"
#include "risk/risk_state.h"

namespace {

using gatehouse::bench::TrafficEvent;
using gatehouse::bench::TrafficLabel;
using gatehouse::risk::DetectionType;
using gatehouse::risk::RiskLevel;

struct Scored {
  double score;
  bool positive;
};

struct RocPoint {
  double threshold, fpr, tpr;
};

std::vector<RocPoint> Roc(std::vector<Scored> scored, std::size_t positives,
                          std::size_t negatives) {
  std::sort(scored.begin(), scored.end(),
            [](const Scored& a, const Scored& b) { return a.score > b.score; });
  std::vector<RocPoint> out{{1e9, 0, 0}};
  std::size_t tp = 0, fp = 0;
  for (std::size_t i = 0; i < scored.size(); ++i) {
    (scored[i].positive ? tp : fp)++;
    if (i + 1 == scored.size() || scored[i + 1].score != scored[i].score) {
      out.push_back({scored[i].score, static_cast<double>(fp) / negatives,
                     static_cast<double>(tp) / positives});
    }
  }
  return out;
}

double TprAtFpr(const std::vector<RocPoint>& roc, double max_fpr, double* threshold) {
  double best = 0;
  for (const RocPoint& p : roc) {
    if (p.fpr <= max_fpr && p.tpr >= best) {
      best = p.tpr;
      *threshold = p.threshold;
    }
  }
  return best;
}

RocPoint AtThreshold(const std::vector<RocPoint>& roc, double threshold) {
  RocPoint last = roc.front();
  for (const RocPoint& p : roc) {
    if (p.threshold < threshold) break;
    last = p;
  }
  return last;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Risk engine evaluation on synthetic sign-in traffic"};
  gatehouse::bench::TrafficOptions options;
  std::string out_dir, jsonl, config_out;
  bool explain_misses = false;
  app.add_option("--seed", options.seed, "generator seed");
  app.add_option("--users", options.users, "number of users");
  app.add_option("--days", options.days, "days of traffic");
  app.add_option("--out", out_dir, "write roc.tsv and roc.gp (gnuplot) here");
  app.add_option("--jsonl", jsonl, "write the traffic as Graph signIn lines");
  app.add_option("--config-out", config_out, "write the matching risk configuration");
  app.add_flag("--explain-misses", explain_misses,
               "print the per-feature terms of every takeover sign-in rated none");
  CLI11_PARSE(app, argc, argv);

  const std::vector<TrafficEvent> events = gatehouse::bench::GenerateTraffic(options);
  auto config = std::make_shared<const gatehouse::risk::RiskConfig>(
      gatehouse::bench::TrafficConfig());
  if (!jsonl.empty()) {
    std::ofstream file(jsonl);
    for (std::size_t i = 0; i < events.size(); ++i) {
      file << gatehouse::bench::ToSignInLine(events[i], i) << '\n';
    }
  }
  if (!config_out.empty()) std::ofstream(config_out) << gatehouse::bench::TrafficConfigJson();

  gatehouse::risk::RiskState state(config);
  std::vector<Scored> scored;
  std::size_t positives = 0, negatives = 0;
  // [label][detection type] → count, [label] → events, [label][level] → count
  std::map<TrafficLabel, std::array<std::size_t, gatehouse::risk::kDetectionTypeCount>> detected;
  std::map<TrafficLabel, std::size_t> totals;
  std::map<TrafficLabel, std::array<std::size_t, 4>> levels;
  std::size_t unjudged_takeovers = 0, anonymizer_takeovers = 0, anonymizer_flagged = 0;
  std::size_t domestic = 0, domestic_flagged = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const TrafficEvent& event : events) {
    const gatehouse::risk::UserRiskRecord* record = state.Find(event.observation.user_id);
    const bool judged = record != nullptr &&
                        record->profile.sign_ins >=
                            static_cast<std::uint32_t>(config->unfamiliar.min_history);
    const gatehouse::risk::SignInRiskAssessment a = state.Assess(event.observation);
    const bool takeover = event.label == TrafficLabel::kTakeover ||
                          event.label == TrafficLabel::kTakeoverTravel;
    const bool success = event.observation.error_code == 0;
    if (success && (takeover || event.label == TrafficLabel::kLegitimate)) {
      if (judged) {
        scored.push_back({a.unfamiliar_score, takeover});
        (takeover ? positives : negatives)++;
      } else if (takeover) {
        ++unjudged_takeovers;
      }
    }
    if (success || event.label == TrafficLabel::kSpray || event.label == TrafficLabel::kBruteForce) {
      ++totals[event.label];
      ++levels[event.label][static_cast<int>(a.level)];
      for (const auto& d : a.detections) ++detected[event.label][static_cast<int>(d.type)];
    }
    if (explain_misses && takeover && a.level == RiskLevel::kNone && record != nullptr) {
      const auto b = gatehouse::risk::ScoreUnfamiliarFeatures(
          record->profile, state.population(),
          gatehouse::risk::ExtractFeatures(event.observation), event.observation.time, *config);
      std::printf("missed %s user %s n=%u domestic=%d score %.2f terms", 
                  gatehouse::bench::TrafficLabelName(event.label),
                  event.observation.user_id.c_str(), record->profile.sign_ins, event.domestic,
                  b.score);
      for (int k = 0; k < gatehouse::risk::kFeatureCount; ++k) {
        std::printf(" %s=%.2f%s(d=%d,n=%.0f)",
                    std::string(gatehouse::risk::FeatureName(
                                    static_cast<gatehouse::risk::Feature>(k))).c_str(),
                    b.terms[k], b.novel[k] ? "*" : "", record->profile.features[k].distinct,
                    record->profile.features[k].total);
      }
      std::printf("\n");
    }
    if (takeover && event.anonymizer) {
      ++anonymizer_takeovers;
      anonymizer_flagged += a.level >= RiskLevel::kMedium;
    }
    if (takeover && event.domestic) {
      ++domestic;
      domestic_flagged += a.level >= RiskLevel::kLow;
    }
    state.Record(event.observation, &a);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::printf("traffic: seed %llu, %d users, %d days, %zu events; replay %.3f s (%.2f us per "
              "sign-in incl. learning)\n",
              static_cast<unsigned long long>(options.seed), options.users, options.days,
              events.size(), seconds, seconds * 1e6 / static_cast<double>(events.size()));
  std::printf("ROC population: %zu takeover sign-ins (positives), %zu legitimate successful "
              "sign-ins (negatives); %zu takeover sign-ins during the learning period left out\n\n",
              positives, negatives, unjudged_takeovers);

  const std::vector<RocPoint> roc = Roc(scored, positives, negatives);
  double auc = 0;
  for (std::size_t i = 1; i < roc.size(); ++i) {
    auc += (roc[i].fpr - roc[i - 1].fpr) * (roc[i].tpr + roc[i - 1].tpr) / 2;
  }
  std::printf("Unfamiliar-features model, ROC (score = log10 likelihood ratio)\n");
  std::printf("| threshold | TPR (takeovers flagged) | FPR (legitimate flagged) |\n");
  std::printf("|---:|---:|---:|\n");
  for (double t : {0.0, 1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0, 7.0, 8.0}) {
    const RocPoint p = AtThreshold(roc, t);
    std::printf("| %.1f | %.2f %% | %.3f %% |\n", t, 100 * p.tpr, 100 * p.fpr);
  }
  double t1 = 0, t01 = 0;
  const double tpr1 = TprAtFpr(roc, 0.01, &t1);
  const double tpr01 = TprAtFpr(roc, 0.001, &t01);
  std::printf("\nAUC %.4f; TPR %.2f %% at FPR <= 1 %% (threshold %.2f); TPR %.2f %% at FPR <= "
              "0.1 %% (threshold %.2f)\n\n",
              auc, 100 * tpr1, t1, 100 * tpr01, t01);

  std::printf("Detection rate per detector at the shipped thresholds (share of each class's "
              "events; spray/brute force include failed attempts)\n");
  std::printf("| class | events | unfamiliarFeatures | impossibleTravel | anonymizedIPAddress | "
              "passwordSpray | bruteForce | level >= low | level >= medium | level high |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (TrafficLabel label : {TrafficLabel::kLegitimate, TrafficLabel::kTakeover,
                             TrafficLabel::kTakeoverTravel, TrafficLabel::kSpray,
                             TrafficLabel::kBruteForce}) {
    const double n = static_cast<double>(std::max<std::size_t>(totals[label], 1));
    const auto& d = detected[label];
    const auto& l = levels[label];
    auto pct = [n](std::size_t c) { return 100.0 * static_cast<double>(c) / n; };
    std::printf("| %s | %zu | %.2f %% | %.2f %% | %.2f %% | %.2f %% | %.2f %% | %.2f %% | %.2f %% | "
                "%.2f %% |\n",
                gatehouse::bench::TrafficLabelName(label), totals[label],
                pct(d[static_cast<int>(DetectionType::kUnfamiliarFeatures)]),
                pct(d[static_cast<int>(DetectionType::kImpossibleTravel)]),
                pct(d[static_cast<int>(DetectionType::kAnonymizedIp)]),
                pct(d[static_cast<int>(DetectionType::kPasswordSpray)]),
                pct(d[static_cast<int>(DetectionType::kBruteForce)]), pct(l[1] + l[2] + l[3]),
                pct(l[2] + l[3]), pct(l[3]));
  }
  std::printf("\nTakeovers through a listed anonymizer rated >= medium: %zu of %zu; domestic "
              "takeovers (victim's country, other ISP) flagged: %zu of %zu\n",
              anonymizer_flagged, anonymizer_takeovers, domestic_flagged, domestic);

  const RocPoint shipped = AtThreshold(roc, config->unfamiliar.low_score);
  std::printf("Shipped low threshold %.1f: TPR %.2f %%, FPR %.3f %%\n", config->unfamiliar.low_score,
              100 * shipped.tpr, 100 * shipped.fpr);
  if (!out_dir.empty()) {
    std::ofstream tsv(out_dir + "/roc.tsv");
    tsv << "# threshold\tfpr\ttpr\n";
    for (const RocPoint& p : roc) tsv << p.threshold << '\t' << p.fpr << '\t' << p.tpr << '\n';
    std::ofstream gp(out_dir + "/roc.gp");
    gp << "set terminal pngcairo size 900,650 font 'sans,11'\n"
          "set output '" << out_dir << "/risk-roc.png'\n"
          "set title 'Unfamiliar sign-in properties: ROC on synthetic traffic (seed "
       << options.seed << ", " << options.users << " users, " << options.days << " days)'\n"
          "set xlabel 'false-positive rate (legitimate sign-ins flagged), log scale'\n"
          "set ylabel 'true-positive rate (takeover sign-ins flagged)'\n"
          "set logscale x\nset xrange [1e-5:1]\nset yrange [0:1.02]\nset grid\n"
          "set format x '%g'\n"
          "set key bottom right\n"
          "set arrow from 0.01, graph 0 to 0.01, graph 1 nohead dt 2 lc rgb '#aa0000'\n"
          "set label 'FPR 1 %' at 0.011, 0.1 textcolor rgb '#aa0000'\n"
       << "set object circle at " << std::max(shipped.fpr, 1e-5) << "," << shipped.tpr
       << " radius char 0.6 fc rgb '#006600' fs solid\n"
          "set label sprintf('shipped low threshold %.1f: TPR %.1f %%, FPR %.2f %%', "
       << config->unfamiliar.low_score << ", " << 100 * shipped.tpr << ", " << 100 * shipped.fpr
       << ") at " << std::max(shipped.fpr, 1e-5) * 1.3 << "," << shipped.tpr - 0.05
       << " textcolor rgb '#006600'\n"
          "plot '" << out_dir << "/roc.tsv' using ($2 > 0 ? $2 : 1e-5):3 with steps lw 2 "
          "title sprintf('AUC %.4f', " << auc << ")\n";
  }
  return 0;
}
