@jobs @perks
Feature: Membership checks
  The periodic check looks at every patron: it counts who is in the channel, invites patrons
  who are missing and hold no usable invitation, and removes patrons whose patronage is over.

  Background:
    Given the shop has a patrons' channel with a join bonus of 10 credits

  Scenario: The check counts where patrons stand and invites the missing
    Given Ann is a patron
    And Ann has joined the channel with her invitation
    And Bob is a patron
    And 2 days have passed
    When the membership check job runs
    Then the job reports 2 checked, 1 joined, 1 invited, 0 removed and 0 errors
    And the bot has sent Bob 2 invitations
    And the bot has sent Ann 1 invitations

  Scenario: A lapsed patron is removed from the channel and an unused link revoked
    Given Ann is a patron for 12 hours
    And Ann has joined the channel with her invitation
    And Bob is a patron for 12 hours
    And 13 hours have passed
    When the membership check job runs
    Then the job reports 2 removed, 0 checked and 0 errors
    And Ann is not in the channel
    And Bob's unused invitation link is revoked
    When the membership check job runs
    Then the job reports 0 removed
