"""From stored items to the stories of one edition: select the window,
group the same story across feeds, rank, summarize and write the leads."""
