// The built-in assistant corpus: deterministic, every reference reply
// scores, the held-out split shares no problem, order number or item with
// training, and the scorer takes the right answer out of a reply.

#include <set>

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
