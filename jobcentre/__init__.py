"""Job-centre side: intake service, enrollment, receipt verification (later video signalling, fleet). Never imports Kivy."""
