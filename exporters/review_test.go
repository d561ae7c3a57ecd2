package exporters_test

import (
	"github.com/kofukin/kofukin/exporters"
)

// sampleReview is a small review workbook's data: 鳥取県 with two municipalities, one flagged on
// two items, one without a survey, and the explanation chain of one amount.
func sampleReview() exporters.Review {
	prev := "いいえ"
	z := 4.2
	return exporters.Review{
		FiscalYear: 2026, EraLabel: "令和8年度", PrefCode: "310000", PrefName: "鳥取県", ScoreRunID: 1, AllocateRunID: 2,
		Municipalities: []exporters.ReviewMunicipality{
			{Code: "312011", Name: "鳥取市", Submitted: true, Insured65: 56000, Total: 456, Max: 800, Rate: 0.57, NationalRank: 12, Of: 1741, PrefRank: 1, YenTotal: 12345678,
				Items: []exporters.ReviewItem{
					{ItemID: "O-4-a", Answer: "いいえ", Points: 0, Max: 5, Status: "not_done", PrefRate: 0.9, NationalRate: 0.8},
					{ItemID: "P2-2-b", Answer: "はい", PrevAnswer: &prev, Points: 5, Max: 5, Status: "met", PrefRate: 0.5, NationalRate: 0.4},
					{ItemID: "P1-7", Answer: "87.5", Points: 3, Max: 5, Status: "partial", Z: &z},
				},
				Chain: []exporters.ChainLine{{Pool: "保険者機能強化推進交付金（市町村分）", Score: 200, Weight: 56000, WeightedScore: 11200000, Sum: 653600000000, PoolYen: 8595000000, ProposalYen: 147284, AmountYen: 147284}}},
			{Code: "312029", Name: "米子市", Submitted: false, NationalRank: 900, Of: 1741, PrefRank: 2},
		},
		Labels: map[string]exporters.ItemLabel{
			"O-4-a":  {Goal: "目標Ⅳ", Indicator: "4 介護予防の成果", Branch: "a", Question: "要介護認定率の変化", Points: 5},
			"P2-2-b": {Goal: "目標Ⅱ", Indicator: "2 地域ケア会議", Branch: "b", Question: "個別事例の検討を行っているか", Points: 5},
			"P1-7":   {Goal: "目標Ⅰ", Indicator: "7 調査の回収率", Question: "回収率（%）", Points: 5},
		},
		ChartBins: []string{"0～", "400～"}, NationBins: []float64{0.5, 0.5}, PrefBins: []float64{0.5, 0.5},
	}
}
