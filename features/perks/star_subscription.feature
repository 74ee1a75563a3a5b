@perks
Feature: Patrons by Star subscription
  A monthly Star subscription makes the buyer a patron: they are invited to the channel, each
  renewal keeps them there, and once they cancel and the paid month is over they are removed.

  Background:
    Given the shop has a patrons' channel with a join bonus of 10 credits
    And the shop sells a monthly patron subscription of 100 Stars with 500 credits

  Scenario: Subscribe, renew, cancel: invited, kept, then removed from the channel
    When Ann subscribes to the patron subscription
    Then Ann has 500 credits
    And the bot has sent Ann 1 invitations
    When Ann joins the channel with her invitation
    And 29 days pass
    And Telegram renews Ann's subscription
    And 2 days pass
    And the membership check runs
    Then Ann is in the channel
    And Ann has 1010 credits
    When Ann cancels her subscription
    And 31 days pass
    And the membership check runs
    Then Ann is not in the channel
    And Ann has 1010 credits
