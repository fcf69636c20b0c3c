"""German and English texts of the remote-commands section of a kiosk's fleet page;
``jobcentre.staff.i18n`` merges them into its catalogue."""

FLEET_COMMANDS_CATALOG: dict[str, dict[str, str]] = {
    "de": {
        "fleetcmd.title": "Fernbefehle: {name}",
        "fleetcmd.heading": "Fernbefehle",
        "fleetcmd.help": "Befehle werden signiert über den Live-Kanal gesendet. Ein Befehl "
                         "unterbricht nie eine laufende Sitzung: Er wartet, bis die Person am "
                         "Terminal fertig ist.",
        "fleetcmd.command": "Befehl",
        "fleetcmd.urgent": "Dringend: ab sofort keine neue Person annehmen (die Person am "
                           "Terminal wird nicht unterbrochen)",
        "fleetcmd.issue": "Befehl senden",
        "fleetcmd.issued": "Der Befehl wurde gesendet.",
        "fleetcmd.revoked": "Dieses Terminal ist gesperrt (Zertifikat widerrufen); es nimmt "
                            "keine Befehle an.",
        "fleetcmd.unknown_command": "Diesen Befehl gibt es nicht.",
        "fleetcmd.confirm_title": "Befehl bestätigen",
        "fleetcmd.confirm_question": "Soll „{command}“ wirklich an {name} ({kiosk_id}) "
                                     "gesendet werden?",
        "fleetcmd.confirm_wipe": "Löschen entfernt Sitzungsreste, Druckausgaben, Zwischenspeicher "
                                 "und Protokolle des Terminals. Noch nicht gesendete Dokumente "
                                 "werden vorher übertragen; gelingt das nicht, lehnt das "
                                 "Terminal ab.",
        "fleetcmd.confirm_restart": "Die Oberfläche startet zwischen zwei Personen neu.",
        "fleetcmd.confirm_yes": "Ja, senden",
        "fleetcmd.cancel": "Abbrechen",
        "fleetcmd.caption": "Befehle an dieses Terminal (neueste zuerst)",
        "fleetcmd.none": "Noch keine Befehle an dieses Terminal.",
        "fleetcmd.col_created": "Gesendet",
        "fleetcmd.col_command": "Befehl",
        "fleetcmd.col_by": "Von",
        "fleetcmd.col_state": "Stand",
        "fleetcmd.col_answer": "Antwort",
        "fleetcmd.urgent_mark": "dringend",
        "fleetcmd.state.pending": "⏳ ausstehend",
        "fleetcmd.state.delivered": "📨 angekommen, wartet auf das Sitzungsende",
        "fleetcmd.state.done": "✔ erledigt",
        "fleetcmd.state.failed": "✖ fehlgeschlagen",
        "fleetcmd.error": "Fehlercode: {code}",
        "fleetcmd.lines": "Protokollzeilen anzeigen ({count})",
        "fleetcmd.back": "Zurück zur Seite des Terminals",
        "fleetcmd.name.lock": "Sperren (Außer-Betrieb-Anzeige)",
        "fleetcmd.name.unlock": "Entsperren",
        "fleetcmd.name.restart": "Oberfläche neu starten",
        "fleetcmd.name.wipe": "Lokale Daten löschen",
        "fleetcmd.name.print_test_page": "Testseite drucken",
        "fleetcmd.name.run_doctor": "Selbsttest (doctor)",
        "fleetcmd.name.collect_logs": "Protokolle holen",
        "fleetcmd.name.ping": "Erreichbarkeit prüfen (ping)",
        "fleetcmd.name.status": "Zustand abfragen",
    },
    "en": {
        "fleetcmd.title": "Remote commands: {name}",
        "fleetcmd.heading": "Remote commands",
        "fleetcmd.help": "Commands are signed and sent over the live channel. A command never "
                         "interrupts a session: it waits until the person at the terminal has "
                         "finished.",
        "fleetcmd.command": "Command",
        "fleetcmd.urgent": "Urgent: take no new person from now on (the person at the terminal "
                           "is not interrupted)",
        "fleetcmd.issue": "Send command",
        "fleetcmd.issued": "The command was sent.",
        "fleetcmd.revoked": "This terminal is revoked; it takes no commands.",
        "fleetcmd.unknown_command": "There is no such command.",
        "fleetcmd.confirm_title": "Confirm command",
        "fleetcmd.confirm_question": "Really send “{command}” to {name} ({kiosk_id})?",
        "fleetcmd.confirm_wipe": "Wiping removes the terminal's session leftovers, print output, "
                                 "caches and logs. Documents not yet sent are transferred first; "
                                 "if that fails, the terminal refuses.",
        "fleetcmd.confirm_restart": "The user interface restarts between two people.",
        "fleetcmd.confirm_yes": "Yes, send",
        "fleetcmd.cancel": "Cancel",
        "fleetcmd.caption": "Commands to this terminal (newest first)",
        "fleetcmd.none": "No commands to this terminal yet.",
        "fleetcmd.col_created": "Sent",
        "fleetcmd.col_command": "Command",
        "fleetcmd.col_by": "By",
        "fleetcmd.col_state": "State",
        "fleetcmd.col_answer": "Answer",
        "fleetcmd.urgent_mark": "urgent",
        "fleetcmd.state.pending": "⏳ pending",
        "fleetcmd.state.delivered": "📨 delivered, waiting for the session to end",
        "fleetcmd.state.done": "✔ done",
        "fleetcmd.state.failed": "✖ failed",
        "fleetcmd.error": "Error code: {code}",
        "fleetcmd.lines": "Show the log lines ({count})",
        "fleetcmd.back": "Back to the terminal's page",
        "fleetcmd.name.lock": "Lock (out-of-service screen)",
        "fleetcmd.name.unlock": "Unlock",
        "fleetcmd.name.restart": "Restart the user interface",
        "fleetcmd.name.wipe": "Wipe local data",
        "fleetcmd.name.print_test_page": "Print a test page",
        "fleetcmd.name.run_doctor": "Self-test (doctor)",
        "fleetcmd.name.collect_logs": "Collect logs",
        "fleetcmd.name.ping": "Check reachability (ping)",
        "fleetcmd.name.status": "Query status",
    },
}
