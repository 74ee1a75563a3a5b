@jobs
Feature: Delivering what the bot sends
  Everything the bot sends goes through an outbox: a message Telegram did not take is kept
  and delivered by a later dispatch, once.

  Scenario: A message Telegram failed to take is delivered by a later dispatch
    Given the shop has a patrons' channel with a join bonus of 10 credits
    And Telegram fails the next message the bot sends
    When an admin makes Ann a patron
    Then the bot has sent Ann nothing
    When 2 minutes pass
    And the outbox dispatch job runs
    Then the job reports 1 sent
    And the bot has sent Ann 1 invitations
    When the outbox dispatch job runs
    Then the job reports 0 sent
    And the bot has sent Ann 1 invitations
