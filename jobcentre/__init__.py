"""Job-centre side: intake service, enrollment, receipt verification. Never imports Kivy."""
