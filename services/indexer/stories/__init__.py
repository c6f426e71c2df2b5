"""Stories: every indexed article joins the most similar recent story or founds one (D17)."""
