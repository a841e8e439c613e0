// The built-in assistant corpus: deterministic, every reference reply
// scores, the held-out split shares no problem, order number or item with
// training, and the scorer takes the right answer out of a reply.

#include <set>
#include <sstream>

#include "helpers.hpp"

using tinylm::lm::Role;
using tinylm::lm::Skill;
using tinylm::lm::Split;

TEST_CASE("assistant corpus: the skills in turn, deterministic, every reference reply scores") {
  const auto a = tinylm::lm::assistant_corpus(400, Split::Train, 5);
  const auto b = tinylm::lm::assistant_corpus(400, Split::Train, 5);
  const auto c = tinylm::lm::assistant_corpus(400, Split::Train, 6);
  REQUIRE(a.size() == 400);
  int differ = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].conversation == b[i].conversation);
    differ += a[i].conversation != c[i].conversation;
    CHECK(a[i].skill == tinylm::lm::kSkills[i % 4]);
    tinylm::lm::check_conversation(a[i].conversation, true);
    CHECK(tinylm::lm::score(a[i], a[i].conversation.back().content));
    CHECK(a[i].conversation.size() == (a[i].skill == Skill::MultiTurn ? 4u : 2u));
  }
  CHECK(differ > 300);
  CHECK(a[2].conversation.back().content == tinylm::lm::kRefusal);
  CHECK(a[0].conversation[0].content.starts_with("What is "));
  CHECK(a[1].conversation[0].content.starts_with("Order "));
}

TEST_CASE("assistant corpus: the held-out split shares no problem, order number or item with training") {
  const auto train = tinylm::lm::assistant_corpus(20000, Split::Train, 1);
  const auto held = tinylm::lm::assistant_corpus(2000, Split::HeldOut, 1);
  std::set<std::string> train_questions, train_orders;
  for (const auto& ex : train) {
    const std::string& q = ex.conversation[0].content;
    if (ex.skill != Skill::Refusal && q.starts_with("What is ")) train_questions.insert(q);
    if (q.starts_with("Order ")) train_orders.insert(q.substr(6, 4));
  }
  CHECK(train_questions.size() > 4000);
  int held_problems = 0, held_orders = 0;
  for (const auto& ex : held) {
    const std::string& q = ex.conversation[0].content;
    if (ex.skill != Skill::Refusal && q.starts_with("What is ")) {
      ++held_problems;
      CHECK(train_questions.count(q) == 0);
    }
    if (q.starts_with("Order ")) {
      ++held_orders;
      const int number = std::stoi(q.substr(6, 4));
      CHECK(number >= 8000);
      CHECK(train_orders.count(q.substr(6, 4)) == 0);
      for (const char* item : {"mugs", "plates", "lamps", "chairs", "books", "socks"})
        CHECK(q.find(item) == std::string::npos);
    }
  }
  CHECK(held_problems > 700);
  CHECK(held_orders > 700);
}

TEST_CASE("assistant corpus: the scorer takes the answer out of a reply") {
  using tinylm::lm::extract_answer;
  CHECK(extract_answer(Skill::Arithmetic, "47 + 385 = 432.") == "432");
  CHECK(extract_answer(Skill::Arithmetic, "47 + 385 = 431.") == "431");
  CHECK(extract_answer(Skill::Arithmetic, "I think 432") == "432");
  CHECK(extract_answer(Skill::Order, "They are blue.  ") == "blue");
  CHECK(extract_answer(Skill::Order, "") == "");
  CHECK(extract_answer(Skill::MultiTurn, "432 + 10 = 442.") == "442");
  CHECK(extract_answer(Skill::Refusal, std::string(tinylm::lm::kRefusal) + "\n") == tinylm::lm::kRefusal);
  tinylm::lm::AssistantExample ex{
      Skill::Order, {{Role::User, "x"}, {Role::Assistant, "It was shipped on Tuesday."}}, "Tuesday"};
  CHECK(tinylm::lm::score(ex, "It was shipped on Tuesday."));
  CHECK_FALSE(tinylm::lm::score(ex, "It was shipped on Monday."));
  CHECK_FALSE(tinylm::lm::score(ex, "Tuesdays"));
  CHECK_THROWS_WITH_AS(tinylm::lm::assistant_corpus(-1, Split::Train, 1), "assistant_corpus: n must be >= 0, got -1",
                       tinylm::Error);
}

TEST_CASE("assistant corpus: arithmetic replies work the columns, and every step of every reply is right") {
  using tinylm::lm::detail::worked_reply;
  CHECK(worked_reply('+', 47, 385) == "7 + 5 = 12, 4 + 8 + 1 = 13, 0 + 3 + 1 = 4, so 47 + 385 = 432.");
  CHECK(worked_reply('+', 957, 375) == "7 + 5 = 12, 5 + 7 + 1 = 13, 9 + 3 + 1 = 13, so 957 + 375 = 1332.");
  CHECK(worked_reply('+', 3, 5) == "3 + 5 = 8, so 3 + 5 = 8.");
  CHECK(worked_reply('-', 952, 385) == "12 - 5 = 7, 15 - 8 - 1 = 6, 9 - 3 - 1 = 5, so 952 - 385 = 567.");
  CHECK(worked_reply('-', 100, 1) == "10 - 1 = 9, 10 - 0 - 1 = 9, 1 - 0 - 1 = 0, so 100 - 1 = 99.");
  CHECK(worked_reply('*', 6, 38) == "6 * 8 = 48, 6 * 3 + 4 = 22, so 6 * 38 = 228.");
  CHECK(worked_reply('*', 2, 10) == "2 * 0 = 0, 2 * 1 = 2, so 2 * 10 = 20.");
  // Every step of many replies: its left side evaluates to its right side,
  // and the digits the steps leave (units of each, then the last whole)
  // spell the answer.
  const auto train = tinylm::lm::assistant_corpus(2000, Split::Train, 3);
  int checked = 0;
  for (const auto& ex : train) {
    for (std::size_t t = 1; t < ex.conversation.size(); t += 2) {
      const std::string& reply = ex.conversation[t].content;
      const auto so = reply.find(", so ");
      if (so == std::string::npos) continue;
      std::string spelled;
      std::size_t at = 0;
      std::vector<std::string> steps;
      while (at < so) {
        const auto next = std::min(reply.find(", ", at), so);
        steps.push_back(reply.substr(at, next - at));
        at = next + 2;
      }
      for (std::size_t i = 0; i < steps.size(); ++i) {
        std::istringstream in(steps[i]);
        long value, term;
        char op;
        in >> value;
        while (in >> op && op != '=') {
          in >> term;
          value = op == '+' ? value + term : op == '-' ? value - term : value * term;
        }
        long right;
        in >> right;
        INFO(reply);
        CHECK(value == right);
        const std::string r = std::to_string(right);
        spelled.insert(0, i + 1 == steps.size() ? r : r.substr(r.size() - 1));
      }
      const std::string answer = reply.substr(reply.rfind('=') + 2, reply.size() - reply.rfind('=') - 3);
      while (spelled.size() > 1 && spelled[0] == '0') spelled.erase(0, 1);
      INFO(reply);
      CHECK(spelled == answer);
      ++checked;
    }
  }
  CHECK(checked > 700);
}

TEST_CASE("assistant corpus: training orders name real and made-up items, never a held-out one") {
  namespace d = tinylm::lm::detail;
  tinylm::Generator gen(8);
  int made_up = 0, doubled = 0;
  for (int i = 0; i < 2000; ++i) {
    const auto o = d::random_order(gen, Split::Train);
    const bool real = std::find(d::kTrainItems.begin(), d::kTrainItems.end(), o.item) != d::kTrainItems.end();
    made_up += !real;
    doubled += !real && std::adjacent_find(o.item.begin(), o.item.end()) != o.item.end();
    INFO(o.item);
    CHECK(std::find(d::kHeldOutItems.begin(), d::kHeldOutItems.end(), o.item) == d::kHeldOutItems.end());
    CHECK(o.item.size() >= 4);
    CHECK(o.item.size() <= 12);
    CHECK(o.item.back() == 's');
  }
  CHECK(made_up > 1200);  // two in three
  CHECK(made_up < 1470);
  CHECK(doubled > made_up / 2);  // double letters, as in "kettles", are there to be copied
  for (int i = 0; i < 200; ++i) {
    const auto o = d::random_order(gen, Split::HeldOut);
    CHECK(std::find(d::kHeldOutItems.begin(), d::kHeldOutItems.end(), o.item) != d::kHeldOutItems.end());
  }
}
