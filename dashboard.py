"""Streamlit entry of the dashboard: ``streamlit run dashboard.py``.

Shows the title, the demo-data badge and the headline KPI row read from the ledger.
"""

import streamlit as st

from pages import common

st.set_page_config(page_title="Party-to-party exchanges", page_icon="🌐", layout="wide")
st.title("Party-to-party exchanges")
common.demo_badge()
info = common.info()
exchanges, parties, countries, span = st.columns(4)
exchanges.metric("Exchanges", f"{info.exchanges:,}")
parties.metric("Parties", f"{info.parties:,}")
countries.metric("Countries", f"{info.countries:,}")
span.metric("Years", f"{info.first_year}–{info.last_year}" if info.first_year else "—")
